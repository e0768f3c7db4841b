import { KeyLayout } from '@wharf/core';
import { afterAll, describe, expect, it } from 'vitest';
import { CountingProxy } from '../support/counting-proxy.js';
import type { EtcdServer } from '../support/etcd-server.js';
import { putAll } from '../support/etcd-writes.js';
import { endpointEntry } from '../support/records.js';
import { eventually } from '../support/wait.js';
import { useBridgeRig } from './support/bridge-rig.js';
import { DockerSocketProxy } from './support/docker-socket-proxy.js';
import type { RegistryProbe } from './support/registry.js';

const run = `${process.pid}`;
const node = `own-${run}`;
const service = `own-${run}`;
const target = `wharf-own-${run}`;
const layout = new KeyLayout('/wharf');
const key = layout.endpointKey(service, `${node}:${target}:8080`);

/** Endpoints of 30 other nodes' bridges, about 500 bytes each, as they really look. */
function foreignEntries(count: number) {
  return Array.from({ length: count }, (_, index) =>
    endpointEntry(layout, {
      service: `foreign-${index % 100}`,
      id: `other${index % 30}:app-${index}:8080`,
      address: '10.0.0.5',
      port: 30_000 + index,
      container: { id: 'f'.repeat(64), name: `app-${index}`, image: 'acme/app:1.4' },
      tags: ['zone=eu-1a'],
      routes: [{ host: `foreign-${index % 100}.example.com`, pathPrefix: '/' }],
      health: { check: 'http GET /health', status: 'passing', since: '2026-01-01T00:00:00.000Z' },
    }),
  );
}

describe('wharf-bridge in a registry full of other bridges’ keys', () => {
  let etcd: EtcdServer;
  let registry: RegistryProbe;
  const docker = new DockerSocketProxy();
  const { containers, startBridge } = useBridgeRig({
    node,
    ttl: '5s',
    onStart: (started) => {
      etcd = started.etcd;
      registry = started.registry;
    },
  });
  afterAll(() => docker.close());

  it('reads only its own keys, at start and after a Docker resync', async () => {
    const foreign = foreignEntries(3_000);
    await putAll(registry.client, foreign);
    const foreignBytes = foreign.reduce((sum, entry) => sum + entry.key.length + entry.value.length, 0);
    const proxy = await CountingProxy.start(etcd.endpoint);
    try {
      await docker.up();
      await containers.start(target);
      const bridge = startBridge({
        WHARF_ETCD: proxy.url(),
        WHARF_TARGET: target,
        WHARF_SERVICE: service,
        WHARF_CHECK: 'tcp',
        DOCKER_HOST: docker.dockerHost,
      });
      await eventually(async () => expect((await registry.record(key))?.state).toBe('serving'), 20_000);
      await eventually(() => expect(bridge.find('registry read back')).toHaveLength(1));
      expect(proxy.received).toBeLessThan(foreignBytes / 20);

      proxy.reset();
      await docker.down();
      await docker.up();
      await eventually(() => expect(bridge.find('registry read back')).toHaveLength(2), 20_000);
      expect(bridge.find('docker resynced')).toHaveLength(2);
      expect(proxy.received).toBeLessThan(foreignBytes / 20);
      expect((await registry.record(key))?.state).toBe('serving');
    } finally {
      await proxy.close();
    }
  });
});
