import { decodeBridgeRecord, decodeEndpointRecord } from '@wharf/core';
import { describe, expect, it } from 'vitest';
import type { EtcdServer } from '../support/etcd-server.js';
import { eventually } from '../support/wait.js';
import { useBridgeRig } from './support/bridge-rig.js';
import type { RegistryProbe } from './support/registry.js';

const run = `${process.pid}`;
const node = `reg-${run}`;
const bridgeId = `${node}-bridge`;
const service = `web-${run}`;
const name = `wharf-reg-web-${run}`;
const key = `/wharf/services/${service}/${node}:${name}:8080`;

describe('wharf-bridge registers Docker containers (host mode)', () => {
  let _etcd: EtcdServer;
  let registry: RegistryProbe;
  const { containers, startBridge } = useBridgeRig({
    node,
    ttl: '2s',
    onStart: (started) => {
      _etcd = started.etcd;
      registry = started.registry;
    },
  });

  const labels = {
    'wharf.service': service,
    'wharf.check': 'http:/health',
    'wharf.check.interval': '300ms',
    'wharf.check.timeout': '250ms',
    'wharf.http.host': 'web.example.test',
    'wharf.tags': 'zone=a,canary',
    'wharf.weight': '3',
  };

  it('publishes the host address and port, follows failing checks, restarts and stops', async () => {
    const container = await containers.start(name, { labels });
    const bridge = startBridge();
    const hostPort = await containers.hostPort(name);

    const record = await eventually(async () => {
      const found = await registry.record(key);
      expect(found?.state).toBe('serving');
      return found;
    });
    const raw = (await registry.client.get(key).string()) as string;
    expect(decodeEndpointRecord(raw).ok).toBe(true);
    expect(record).toMatchObject({
      v: 1,
      service,
      id: `${node}:${name}:8080`,
      address: '127.0.0.1',
      port: hostPort,
      protocol: 'http',
      node,
      bridge: bridgeId,
      container: { id: container.id, name, image: 'wharf/demo' },
      tags: ['zone=a', 'canary'],
      weight: 3,
      routes: [{ host: 'web.example.test', pathPrefix: '/' }],
      health: { check: 'http GET /health', status: 'passing' },
    });
    const bridgeRecord = await registry.client.get(`/wharf/bridges/${bridgeId}`).string();
    const decoded = decodeBridgeRecord(bridgeRecord as string);
    expect(decoded.ok && decoded.record).toMatchObject({ v: 1, node, mode: 'host', target: null });

    // The key and the bridge record share one lease.
    const [endpointKv, bridgeKv] = await Promise.all([
      registry.client.get(key).exec(),
      registry.client.get(`/wharf/bridges/${bridgeId}`).exec(),
    ]);
    expect(endpointKv.kvs[0]?.lease).not.toBe('0');
    expect(endpointKv.kvs[0]?.lease).toBe(bridgeKv.kvs[0]?.lease);

    // Keep-alives and repeated checks never rewrite the value.
    const before = endpointKv.kvs[0]?.mod_revision;
    await eventually(() => expect(bridge.find('check passing').length).toBeGreaterThan(0));
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const after = await registry.client.get(key).exec();
    expect(after.kvs[0]?.mod_revision).toBe(before);

    // Failing check → removed; passing again → back.
    await fetch(`http://127.0.0.1:${hostPort}/health/fail`, { method: 'POST' });
    await eventually(async () => expect(await registry.record(key)).toBeUndefined());
    await fetch(`http://127.0.0.1:${hostPort}/health/pass`, { method: 'POST' });
    await eventually(async () => expect((await registry.record(key))?.state).toBe('serving'));

    // Restart → re-inspected and re-registered with its new address.
    await container.restart({ t: 5 });
    const newPort = await containers.hostPort(name);
    await eventually(async () => {
      const found = await registry.record(key);
      expect(found?.state).toBe('serving');
      expect(found?.port).toBe(newPort);
    });

    // docker stop → draining at once, then removed.
    const history = await registry.history(key);
    await container.stop({ t: 5 });
    await eventually(() => expect(history.events.at(-1)).toBeUndefined(), 15_000);
    await history.stop();
    expect(history.events.length).toBeGreaterThanOrEqual(2);
    expect(history.events[0]?.state).toBe('draining');
    expect(history.events.at(-1)).toBeUndefined();
  });

  it('skips a container with a bad label while its neighbour registers', async () => {
    await containers.start(`${name}-bad`, { labels: { ...labels, 'wharf.port': '9999' } });
    await containers.start(`${name}-weight`, { labels: { ...labels, 'wharf.weight': 'heavy' } });
    await containers.start(`${name}-good`, { labels });
    const bridge = startBridge();

    await eventually(async () =>
      expect((await registry.record(`/wharf/services/${service}/${node}:${name}-good:8080`))?.state).toBe(
        'serving',
      ),
    );
    const warnings = await eventually(() => {
      const found = bridge
        .find('container not registered: invalid configuration')
        .filter((line) => String(line.container).startsWith(name));
      expect(found).toHaveLength(2);
      return found;
    });
    expect(warnings.find((line) => line.container === `${name}-bad`)).toMatchObject({
      label: 'wharf.port',
      value: '9999',
      code: 'WHARF_LABEL_INVALID',
    });
    expect(warnings.find((line) => line.container === `${name}-weight`)).toMatchObject({
      label: 'wharf.weight',
      value: 'heavy',
      code: 'WHARF_LABEL_INVALID',
    });
    expect(await registry.keysOf(bridgeId, service)).toEqual([
      `/wharf/services/${service}/${node}:${name}-good:8080`,
    ]);
  });

  it('SIGTERM revokes the lease: every key disappears at once and the bridge exits 0', async () => {
    await containers.start(name, { labels });
    // A long TTL, so only the revoke can explain the keys going away.
    const bridge = startBridge({ WHARF_TTL: '60s' });
    await eventually(async () => expect(await registry.record(key)).toBeDefined());
    const exit = await bridge.kill('SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });
    expect(await registry.all()).toEqual(new Map());
  });

  it('SIGTERM in the middle of the first sync still revokes and exits 0', async () => {
    await containers.start(name, { labels });
    await containers.start(`${name}-second`, { labels });
    // Stop at a different moment each round: as the lease is granted, at the first write, and
    // once in sync. An abort that lands while the writer is busy must not be missed.
    for (const moment of ['lease granted', 'key written', 'registry in sync']) {
      const bridge = startBridge({ WHARF_TTL: '60s' });
      await eventually(() => expect(bridge.find(moment).length).toBeGreaterThan(0));
      bridge.child.kill('SIGTERM');
      const exit = await Promise.race([
        bridge.exited,
        new Promise((resolve) => setTimeout(() => resolve('still running after 10 s'), 10_000).unref()),
      ]);
      expect(exit, `SIGTERM at "${moment}"`).toEqual({ code: 0, signal: null });
    }
    expect(await registry.keysOf(bridgeId, service)).toEqual([]);
  });

  it('SIGKILL: the keys expire with the lease', async () => {
    await containers.start(name, { labels });
    const bridge = startBridge({ WHARF_TTL: '2s' });
    await eventually(async () => expect(await registry.record(key)).toBeDefined());
    await bridge.kill('SIGKILL');
    await eventually(async () => expect(await registry.all()).toEqual(new Map()), 8_000);
  });

  it('removes stale keys of the same bridge id at start and keeps what still runs', async () => {
    await containers.start(name, { labels });
    await containers.start(`${name}-gone`, { labels });
    const first = startBridge({ WHARF_TTL: '60s' });
    const goneKey = `/wharf/services/${service}/${node}:${name}-gone:8080`;
    await eventually(async () => expect(await registry.keysOf(bridgeId, service)).toHaveLength(2));
    await first.kill('SIGKILL');
    await containers.remove(`${name}-gone`);
    // A key on no lease names this bridge, but no lease of it carries the key: it is an
    // operator's hand-written record, and a bridge reads (and deletes) only what its leases hold.
    const handWrittenKey = `/wharf/services/${service}/${node}:by-hand:8080`;
    const handWritten = { ...(await registry.record(key)), id: `${node}:by-hand:8080` };
    await registry.client.put(handWrittenKey).value(JSON.stringify(handWritten));
    // Someone else's key is never touched.
    const foreignKey = `/wharf/services/${service}/other:web:8080`;
    await registry.client.put(foreignKey).value(JSON.stringify({ ...handWritten, bridge: 'other-bridge' }));

    const second = startBridge({ WHARF_TTL: '60s' });
    await eventually(async () => {
      const keys = await registry.keysOf(bridgeId, service);
      expect(keys).toEqual([handWrittenKey, key].sort());
    });
    // Gone at once, not when the killed run's 60 s lease expires.
    expect(await registry.record(goneKey)).toBeUndefined();
    expect(second.find('registry read back')[0]).toMatchObject({ earlierLeases: 1 });
    expect(await registry.record(foreignKey)).toBeDefined();
    // The surviving key now lives on the new bridge's lease.
    const [endpointKv, bridgeKv] = await Promise.all([
      registry.client.get(key).exec(),
      registry.client.get(`/wharf/bridges/${bridgeId}`).exec(),
    ]);
    expect(endpointKv.kvs[0]?.lease).toBe(bridgeKv.kvs[0]?.lease);
  });
});
