import { afterAll, describe, expect, it } from 'vitest';
import { EtcdServer } from '../support/etcd-server.js';
import { eventually } from '../support/wait.js';
import { BridgeProcess } from './support/bridge-process.js';
import { DemoContainers } from './support/demo-containers.js';
import { DockerSocketProxy } from './support/docker-socket-proxy.js';
import { RegistryProbe } from './support/registry.js';

const run = `${process.pid}`;
const node = `dockerdrop-${run}`;
const service = `dockerdrop-${run}`;
const keyOf = (name: string) => `/wharf/services/${service}/${node}:${name}:8080`;

describe('wharf-bridge when the Docker Engine goes away', () => {
  const containers = new DemoContainers();
  let etcd: EtcdServer | undefined;
  let registry: RegistryProbe | undefined;
  let bridge: BridgeProcess | undefined;
  const proxy = new DockerSocketProxy();

  afterAll(async () => {
    await bridge?.kill('SIGKILL');
    await containers.removeAll();
    await proxy.close();
    registry?.close();
    await etcd?.close();
  });

  it('keeps running, reconnects with backoff and reconciles what changed while it was gone', async () => {
    etcd = await EtcdServer.start();
    registry = new RegistryProbe(etcd.endpoint);
    await proxy.up();
    // `none`: only Docker itself can tell the bridge that this container went away.
    const labels = { 'wharf.service': service, 'wharf.check': 'none' };
    const [a, b] = [`wharf-dockerdrop-${run}-a`, `wharf-dockerdrop-${run}-b`];
    await containers.start(a, { labels });
    bridge = new BridgeProcess({
      WHARF_ETCD: etcd.endpoint,
      WHARF_NODE: node,
      WHARF_HOST_IP: '127.0.0.1',
      WHARF_TTL: '5s',
      DOCKER_HOST: proxy.dockerHost,
    });
    const current = bridge;
    await eventually(async () =>
      expect(await registry?.keysOf(`${node}-bridge`, service)).toEqual([keyOf(a)]),
    );

    await proxy.down();
    await containers.remove(a);
    await containers.start(b, { labels });
    await eventually(
      () =>
        expect(current.find('docker event stream interrupted; reconnecting').length).toBeGreaterThanOrEqual(
          2,
        ),
      15_000,
    );
    expect(current.running).toBe(true);
    // While Docker is unreachable, what is registered stays.
    expect(await registry.keysOf(`${node}-bridge`, service)).toEqual([keyOf(a)]);

    await proxy.up();
    await eventually(
      async () => expect(await registry?.keysOf(`${node}-bridge`, service)).toEqual([keyOf(b)]),
      15_000,
    );
    expect(current.running).toBe(true);
  });
});
