import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { EtcdServer } from '../support/etcd-server.js';
import { freePort } from '../support/ports.js';
import { eventually } from '../support/wait.js';
import { BridgeProcess } from './support/bridge-process.js';
import { DemoContainers } from './support/demo-containers.js';
import { RegistryProbe } from './support/registry.js';

const run = `${process.pid}`;
const node = `outage-${run}`;
const bridgeId = `${node}-bridge`;
const service = `outage-${run}`;
const labels = { 'wharf.service': service, 'wharf.check': 'http:/health', 'wharf.check.interval': '500ms' };
const keyOf = (name: string) => `/wharf/services/${service}/${node}:${name}:8080`;

describe('wharf-bridge through etcd outages', () => {
  const containers = new DemoContainers();
  const bridges: BridgeProcess[] = [];
  const servers: EtcdServer[] = [];
  const probes: RegistryProbe[] = [];

  afterEach(async (context) => {
    if (context.task.result?.state === 'fail') for (const bridge of bridges) console.error(bridge.dump());
    await Promise.all(bridges.splice(0).map((bridge) => bridge.kill('SIGKILL')));
    await containers.removeAll();
    for (const probe of probes.splice(0)) probe.close();
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });
  afterAll(async () => {
    await containers.removeAll();
  });

  it('etcd stopped and started: everything re-registered, what changed meanwhile applied', async () => {
    const etcd = await EtcdServer.start();
    servers.push(etcd);
    const registry = new RegistryProbe(etcd.endpoint);
    probes.push(registry);
    const [a, b, c] = ['a', 'b', 'c'].map((suffix) => `wharf-outage-${run}-${suffix}`) as [
      string,
      string,
      string,
    ];
    await containers.start(a, { labels });
    await containers.start(c, { labels });
    const bridge = new BridgeProcess({
      WHARF_ETCD: etcd.endpoint,
      WHARF_NODE: node,
      WHARF_HOST_IP: '127.0.0.1',
      WHARF_TTL: '2s',
    });
    bridges.push(bridge);
    await eventually(async () =>
      expect((await registry.keysOf(bridgeId, service)).sort()).toEqual([keyOf(a), keyOf(c)].sort()),
    );

    await etcd.stop();
    await containers.start(b, { labels });
    await containers.remove(c);
    // Long enough for the lease to be given up (2 × TTL without a keep-alive).
    await eventually(
      () => expect(bridge.find('lease lost; granting a new one').length).toBeGreaterThan(0),
      15_000,
    );
    await eventually(
      () => expect(bridge.find('lease grant failed; retrying').length).toBeGreaterThan(0),
      15_000,
    );
    await etcd.start();

    await eventually(
      async () =>
        expect((await registry.keysOf(bridgeId, service)).sort()).toEqual([keyOf(a), keyOf(b)].sort()),
      15_000,
    );
    const [endpoint, bridgeRecord] = await Promise.all([
      registry.client.get(keyOf(a)).exec(),
      registry.client.get(`/wharf/bridges/${bridgeId}`).exec(),
    ]);
    expect(endpoint.kvs[0]?.lease).toBe(bridgeRecord.kvs[0]?.lease);
    expect(bridge.running).toBe(true);
    // One loss, one line: not once per part of the client that noticed it.
    expect(bridge.find('lease lost; granting a new one')).toHaveLength(1);
    // Retries were logged with growing delays, not hammered.
    const delays = bridge.find('lease grant failed; retrying').map((line) => line.delayMs as number);
    expect(delays.length).toBeGreaterThan(0);
  });

  it('etcd unreachable at start: keeps retrying, registers once etcd comes up', async () => {
    const etcd = new EtcdServer();
    etcd.clientPort = await freePort();
    etcd.peerPort = await freePort();
    servers.push(etcd);
    const name = `wharf-outage-${run}-late`;
    await containers.start(name, { labels });
    const bridge = new BridgeProcess({
      WHARF_ETCD: etcd.endpoint,
      WHARF_NODE: node,
      WHARF_HOST_IP: '127.0.0.1',
      WHARF_TTL: '2s',
    });
    bridges.push(bridge);
    await eventually(
      () => expect(bridge.find('lease grant failed; retrying').length).toBeGreaterThanOrEqual(2),
      15_000,
    );
    await sleep(200);
    expect(bridge.running).toBe(true);
    await etcd.start();
    const registry = new RegistryProbe(etcd.endpoint);
    probes.push(registry);
    await eventually(
      async () => expect(await registry.keysOf(bridgeId, service)).toEqual([keyOf(name)]),
      15_000,
    );
  });
});
