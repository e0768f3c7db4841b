import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// docker/compose.yaml is the Compose twin of `./run.sh up`: same services, container names,
// images, labels and program settings. Compose itself may be missing (Debian's docker.io has
// no plugin), so the file is checked with a YAML parser, and by `docker compose config` where
// the tool exists.

const root = fileURLToPath(new URL('../../', import.meta.url));
const composePath = join(root, 'docker/compose.yaml');
const run = promisify(execFile);

// Program settings by name, as DESIGN.md lists them.
const COMMON_ENV = [
  'WHARF_ETCD',
  'WHARF_ETCD_USERNAME',
  'WHARF_ETCD_PASSWORD',
  'WHARF_ETCD_CA',
  'WHARF_ETCD_CERT',
  'WHARF_ETCD_KEY',
  'WHARF_PREFIX',
  'LOG_LEVEL',
  'LOG_FORMAT',
];
const BRIDGE_ENV = [
  ...COMMON_ENV,
  'WHARF_TARGET',
  'WHARF_NODE',
  'WHARF_HOST_IP',
  'WHARF_INTERNAL',
  'WHARF_NETWORK',
  'WHARF_TTL',
  'WHARF_EXPLICIT',
  'WHARF_SERVICE',
  'WHARF_HTTP_HOST',
  'WHARF_CHECK',
  'DOCKER_HOST',
];
const EDGE_ENV = [
  ...COMMON_ENV,
  'WHARF_LISTEN',
  'WHARF_ADMIN_LISTEN',
  'WHARF_WORKERS',
  'WHARF_TRUSTED_PROXIES',
];
const DEMO_ENV = ['PORT', 'INSTANCE', 'SHUTDOWN_DELAY_MS', 'SHUTDOWN_TIMEOUT_MS'];

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  container_name?: string;
  networks?: string[];
  labels?: Record<string, string>;
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: string[];
  command?: string[];
  restart?: string;
}

interface ComposeFile {
  name: string;
  services: Record<string, Service>;
  networks: Record<string, { name: string; labels: Record<string, string> }>;
  volumes: Record<string, { name: string; labels: Record<string, string> }>;
}

function load(): ComposeFile {
  // merge: the demo and sidecar services share their settings through `<<: *anchor`.
  return parse(readFileSync(composePath, 'utf8'), { merge: true }) as ComposeFile;
}

/** A value of run.sh's `readonly NAME=value` lines (shell default syntax resolved to the default). */
function runShConstant(name: string): string {
  const match = new RegExp(`^readonly ${name}=(.*)$`, 'm').exec(readFileSync(join(root, 'run.sh'), 'utf8'));
  expect(match, `run.sh has no readonly ${name}`).not.toBeNull();
  const value = (match as RegExpExecArray)[1] as string;
  return /^\$\{\w+:-(.*)\}$/.exec(value)?.[1] ?? value;
}

describe('docker/compose.yaml', () => {
  it('describes the same stack as ./run.sh up', () => {
    const compose = load();
    const { services } = compose;
    expect(compose.name).toBe('wharf');
    expect(Object.keys(services).sort()).toEqual(
      ['etcd', 'edge', 'demo-1', 'demo-1-bridge', 'demo-2', 'demo-2-bridge'].sort(),
    );

    const etcdUrl = `http://${runShConstant('ETCD_CONTAINER')}:2379`;
    const network = runShConstant('NETWORK');
    const etcd = services.etcd as Service;
    expect(etcd.image).toBe(runShConstant('ETCD_IMAGE'));
    expect(etcd.container_name).toBe(runShConstant('ETCD_CONTAINER'));
    expect(etcd.ports).toEqual(['127.0.0.1:2379:2379']);
    expect(etcd.command).toContain(`--advertise-client-urls=${etcdUrl}`);

    const edge = services.edge as Service;
    expect(edge.image).toBe('wharf/edge');
    expect(edge.container_name).toBe(runShConstant('EDGE_CONTAINER'));
    expect(edge.environment).toEqual({
      WHARF_ETCD: etcdUrl,
      WHARF_LISTEN: '0.0.0.0:8080',
      WHARF_ADMIN_LISTEN: '0.0.0.0:9090',
    });
    // Traffic on every interface, admin on loopback only.
    expect(edge.ports).toEqual(['8080:8080', '127.0.0.1:9090:9090']);

    for (const index of [1, 2]) {
      const demo = services[`demo-${index}`] as Service;
      expect(demo.image).toBe('wharf/demo');
      expect(demo.container_name).toBe(`wharf-demo-${index}`);
      expect(demo.environment).toEqual({
        INSTANCE: `demo-${index}`,
        SHUTDOWN_DELAY_MS: runShConstant('DEMO_SHUTDOWN_DELAY_MS'),
      });
      expect(demo.labels).toEqual({
        'wharf.stack': 'demo',
        'wharf.service': 'demo',
        'wharf.port': '8080',
        'wharf.http.host': runShConstant('DEMO_HOST'),
        'wharf.check': 'http:/health',
      });

      const sidecar = services[`demo-${index}-bridge`] as Service;
      expect(sidecar.image).toBe('wharf/bridge');
      expect(sidecar.container_name).toBe(`wharf-demo-${index}-bridge`);
      expect(sidecar.environment).toEqual({
        WHARF_ETCD: etcdUrl,
        WHARF_TARGET: demo.container_name,
        WHARF_INTERNAL: 'true',
        WHARF_NETWORK: network,
      });
      expect(sidecar.volumes).toEqual(['/var/run/docker.sock:/var/run/docker.sock:ro']);
      expect(sidecar.depends_on).toEqual(['etcd', `demo-${index}`]);
    }

    // Only settings the programs know (names as in DESIGN.md).
    for (const [name, service] of Object.entries(services)) {
      const known =
        service.image === 'wharf/edge' ? EDGE_ENV : service.image === 'wharf/bridge' ? BRIDGE_ENV : DEMO_ENV;
      for (const variable of Object.keys(service.environment ?? {})) {
        expect(known, `${name}: ${variable}`).toContain(variable);
      }
    }
  });

  it('labels everything wharf.stack=demo on one network, so ./run.sh down removes it', () => {
    const compose = load();
    for (const [name, service] of Object.entries(compose.services)) {
      expect(service.labels?.['wharf.stack'], name).toBe('demo');
      expect(service.networks, name).toEqual(['wharf']);
      expect(service.restart, name).toBe('unless-stopped');
    }
    expect(compose.networks).toEqual({
      wharf: { name: runShConstant('NETWORK'), labels: { 'wharf.stack': 'demo' } },
    });
    expect(compose.volumes).toEqual({
      'etcd-data': { name: runShConstant('ETCD_VOLUME'), labels: { 'wharf.stack': 'demo' } },
    });
  });

  it('builds from Dockerfiles that exist', () => {
    const builds = Object.values(load().services).flatMap((service) =>
      service.build ? [service.build] : [],
    );
    expect(builds.map((build) => build.dockerfile).sort()).toEqual([
      'demo.Dockerfile',
      'demo.Dockerfile',
      'docker/bridge.Dockerfile',
      'docker/bridge.Dockerfile',
      'docker/edge.Dockerfile',
    ]);
    for (const build of builds) {
      expect(existsSync(join(root, 'docker', build.context, build.dockerfile)), build.dockerfile).toBe(true);
    }
  });

  it('is accepted by docker compose config where the compose tool is installed', async () => {
    const version = await run('docker', ['compose', 'version']).catch((error: Error) => error);
    if (version instanceof Error) {
      console.warn(
        `docker compose config not run: 'docker compose version' failed: ${version.message.trim()}`,
      );
      return;
    }
    const { stdout } = await run('docker', ['compose', '-f', composePath, 'config', '--format', 'json'], {
      cwd: root,
    });
    const resolved = JSON.parse(stdout) as ComposeFile;
    expect(Object.keys(resolved.services).sort()).toEqual(Object.keys(load().services).sort());
  });
});
