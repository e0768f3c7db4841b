import { describe, expect, it } from 'vitest';
import type { EtcdServer } from '../support/etcd-server.js';
import { eventually } from '../support/wait.js';
import { useBridgeRig } from './support/bridge-rig.js';
import type { RegistryProbe } from './support/registry.js';

const run = `${process.pid}`;
const node = `side-${run}`;
const service = `side-${run}`;
const target = `wharf-side-${run}`;
const bridgeId = `${node}-bridge-${target}`;
const key = `/wharf/services/${service}/${node}:${target}:8080`;

describe('wharf-bridge as a sidecar', () => {
  let _etcd: EtcdServer;
  let registry: RegistryProbe;
  const { containers, startBridge } = useBridgeRig({
    node,
    ttl: '2s',
    clearAfterEach: false,
    onStart: (started) => {
      _etcd = started.etcd;
      registry = started.registry;
    },
  });

  it('configured by its own env, watches only its target and survives it being recreated', async () => {
    const bridge = startBridge({
      WHARF_TARGET: target,
      WHARF_SERVICE: service,
      WHARF_CHECK: 'http:/health',
      WHARF_CHECK_INTERVAL: '300ms',
      WHARF_HTTP_HOST: 'side.example.test',
    });
    // Started before its target exists.
    await eventually(async () => {
      const value = await registry.client.get(`/wharf/bridges/${bridgeId}`).json();
      expect(value).toMatchObject({ v: 1, node, mode: 'sidecar', target });
    });
    // A labelled neighbour is not this sidecar's business.
    await containers.start(`${target}-neighbour`, { labels: { 'wharf.service': `${service}-other` } });

    const first = await containers.start(target);
    await eventually(async () => {
      const record = await registry.record(key);
      expect(record).toMatchObject({
        service,
        bridge: bridgeId,
        protocol: 'http',
        port: await containers.hostPort(target),
        routes: [{ host: 'side.example.test', pathPrefix: '/' }],
        container: { id: first.id },
      });
    });

    await containers.remove(target);
    await eventually(async () => expect(await registry.record(key)).toBeUndefined());
    const second = await containers.start(target);
    await eventually(async () => {
      const record = await registry.record(key);
      expect(record?.container?.id).toBe(second.id);
      expect(record?.port).toBe(await containers.hostPort(target));
    });
    expect(await registry.keysOf(bridgeId, service)).toEqual([key]);

    // Renamed away, it is no longer this sidecar's target.
    const renamed = `${target}-renamed`;
    try {
      await second.rename({ name: renamed });
      await eventually(async () => expect(await registry.record(key)).toBeUndefined());
    } finally {
      await containers.remove(renamed);
    }
    expect(bridge.running).toBe(true);
  });

  it('bad env: exits non-zero at start with one line naming the variable', async () => {
    const cases: [string, Record<string, string>][] = [
      ['WHARF_TTL', { WHARF_TTL: 'soon' }],
      ['WHARF_CHECK', { WHARF_TARGET: target, WHARF_CHECK: 'grpc' }],
      ['WHARF_HOST_IP', { WHARF_HOST_IP: 'not-an-ip' }],
    ];
    for (const [variable, env] of cases) {
      const bridge = startBridge(env);
      const exit = await bridge.exited;
      expect(exit.code).not.toBe(0);
      expect(exit.code).not.toBeNull();
      expect(bridge.text).toHaveLength(1);
      expect(bridge.text[0]).toContain(variable);
      expect(bridge.logs).toEqual([]);
    }
  });
});
