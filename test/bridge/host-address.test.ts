import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { DockerCommandError, docker } from '../support/docker-cli.js';
import type { EtcdServer } from '../support/etcd-server.js';
import { eventually } from '../support/wait.js';
import { useBridgeRig } from './support/bridge-rig.js';
import type { RegistryProbe } from './support/registry.js';

// Without WHARF_HOST_IP a bridge must find the address other hosts reach this one on, or refuse
// to start where it cannot see it — never publish its container's or a loopback address.

const run = `${process.pid}`;
const node = `hostaddr-${run}`;
const service = `hostaddr-${run}`;
const app = `wharf-hostaddr-${run}`;
const inContainer = `wharf-hostaddr-bridge-${run}`;

/** This machine's address on the interface of its default route, read as the kernel has it. */
function defaultRouteAddress(): string {
  const routes = readFileSync('/proc/net/route', 'utf8').split('\n').slice(1);
  const name = routes.map((line) => line.trim().split(/\s+/)).find((fields) => fields[1] === '00000000')?.[0];
  const address = networkInterfaces()[name ?? '']?.find((entry) => entry.family === 'IPv4')?.address;
  if (!address) throw new Error(`no IPv4 address on the default route's interface (${name})`);
  return address;
}

describe('the address a bridge publishes with host ports, WHARF_HOST_IP unset', () => {
  let etcd: EtcdServer;
  let registry: RegistryProbe;
  const { startBridge } = useBridgeRig({
    node,
    ttl: '3s',
    onStart: (started) => {
      etcd = started.etcd;
      registry = started.registry;
    },
  });
  afterAll(async () => {
    await docker(['rm', '-f', app, inContainer]).catch(() => '');
  });

  const startApp = async () => {
    // Published on every address of the host: the record must say which one others use.
    await docker(['rm', '-f', app]).catch(() => '');
    await docker([
      'run',
      '-d',
      '--name',
      app,
      '-p',
      '8080',
      '--label',
      `wharf.service=${service}`,
      'wharf/demo',
    ]);
    const published = await docker(['port', app, '8080/tcp']);
    return Number(/:(\d+)\s*$/m.exec(published)?.[1]);
  };

  it('on the host: the address of the default route, though etcd is on loopback', async () => {
    const expected = defaultRouteAddress();
    const port = await startApp();
    const bridge = startBridge({ WHARF_HOST_IP: '' });
    await eventually(async () => {
      const record = await registry.record(`/wharf/services/${service}/${node}:${app}:8080`);
      expect(record).toMatchObject({ address: expected, port });
    });
    expect(bridge.find('bridge starting')[0]).toMatchObject({
      hostIp: expected,
      hostIpSource: expect.stringMatching(/of the default route/),
    });
  });

  it('in a container on the host network: found as on the host', async () => {
    const port = await startApp();
    await docker([
      'run',
      '-d',
      '--name',
      inContainer,
      '--network',
      'host',
      '-v',
      '/var/run/docker.sock:/var/run/docker.sock:ro',
      '-e',
      `WHARF_ETCD=${etcd.endpoint}`,
      '-e',
      `WHARF_NODE=${node}`,
      '-e',
      'WHARF_TTL=3s',
      'wharf/bridge',
    ]);
    try {
      await eventually(async () => {
        const record = await registry.record(`/wharf/services/${service}/${node}:${app}:8080`);
        expect(record).toMatchObject({ address: defaultRouteAddress(), port });
      });
    } finally {
      await docker(['rm', '-f', inContainer]);
    }
  });

  it('in a container with its own network namespace: refuses to start, naming the way out', async () => {
    const attempt = docker([
      'run',
      '--name',
      inContainer,
      '-v',
      '/var/run/docker.sock:/var/run/docker.sock:ro',
      '-e',
      `WHARF_ETCD=${etcd.endpoint}`,
      '-e',
      `WHARF_NODE=${node}`,
      'wharf/bridge',
    ]);
    const failure = await attempt.then(
      () => undefined,
      (error: unknown) => error,
    );
    await docker(['rm', '-f', inContainer]).catch(() => '');
    expect(failure).toBeInstanceOf(DockerCommandError);
    expect((failure as DockerCommandError).exitCode).not.toBe(0);
    expect((failure as DockerCommandError).stderr).toMatch(
      /wharf-bridge: WHARF_HOST_IP=.*network mode "(bridge|default)".*--network host.*WHARF_INTERNAL=true/,
    );
  });
});
