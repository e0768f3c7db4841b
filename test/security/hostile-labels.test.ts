import type { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeProcess } from '../bridge/support/bridge-process.js';
import { DemoContainers } from '../bridge/support/demo-containers.js';
import { get } from '../edge/support/backends.js';
import { EdgeProcess } from '../edge/support/edge-process.js';
import { type EtcdServer, useEtcd } from '../support/etcd-server.js';
import { eventually } from '../support/wait.js';

const run = `${process.pid}`;
const node = `labels-${run}`;
const service = `labels-${run}`;
const prefix = `/wharf-labels-${run}`;

/** One hostile value per container, each in a label the bridge must refuse. */
const HOSTILE: [string, string][] = [
  ['wharf.service', 'x'.repeat(100_000)],
  ['wharf.service', 'web\nevil'],
  ['wharf.service', '../../etc/passwd'],
  ['wharf.service', '$(touch /tmp/pwned)'],
  ['wharf.service', "web'; DROP TABLE services; --"],
  ['wharf.service', '🚢wharf'],
  ['wharf.port', '99999'],
  ['wharf.port', '-1'],
  ['wharf.port', '8080; rm -rf /'],
  ['wharf.http.host', 'evil host.test'],
  ['wharf.http.host', 'a.test\r\nX-Injected: 1'],
  ['wharf.http.host', `${'a'.repeat(300)}.test`],
  ['wharf.http.path', 'no-leading-slash'],
  ['wharf.http.path', '/a b'],
  ['wharf.weight', '-5'],
  ['wharf.weight', 'NaN'],
  ['wharf.check', 'exec:rm -rf /'],
  ['wharf.check.interval', '-1s'],
  ['wharf.check.timeout', 'forever'],
];

describe('hostile container labels through a real bridge', () => {
  let etcd: EtcdServer;
  let client: Etcd3;
  let bridge: BridgeProcess;
  let edge: EdgeProcess;
  const containers = new DemoContainers();
  const base = {
    'wharf.service': service,
    'wharf.check': 'tcp',
    'wharf.http.host': `${service}.test`,
  };
  const hostileName = (index: number) => `wharf-labels-${run}-bad-${index}`;
  const neighbour = `wharf-labels-${run}-good`;

  useEtcd((started) => {
    etcd = started.etcd;
    client = started.client;
  });
  beforeAll(async () => {
    await containers.start(neighbour, { labels: base });
    for (const [index, [label, value]] of HOSTILE.entries()) {
      await containers.start(hostileName(index), { labels: { ...base, [label]: value } });
    }
    bridge = new BridgeProcess({
      WHARF_ETCD: etcd.endpoint,
      WHARF_PREFIX: prefix,
      WHARF_NODE: node,
      WHARF_HOST_IP: '127.0.0.1',
      WHARF_TTL: '3s',
    });
    edge = await EdgeProcess.start({ etcd: etcd.endpoint, prefix });
  });
  afterAll(async () => {
    await bridge?.kill('SIGKILL');
    await edge?.kill();
    await containers.removeAll();
  });

  it('registers the neighbour and none of the hostile containers; warns once for each, naming the label', async () => {
    const neighbourKey = `${prefix}/services/${service}/${node}:${neighbour}:8080`;
    await eventually(
      async () => expect(await client.get(neighbourKey).string()).toContain('"serving"'),
      20_000,
    );
    await eventually(async () => expect((await get(edge.url, `${service}.test`)).status).toBe(200));

    const warnings = () => bridge.find('container not registered: invalid configuration');
    await eventually(() => expect(warnings().length).toBeGreaterThanOrEqual(HOSTILE.length), 20_000);
    for (const [index, [label]] of HOSTILE.entries()) {
      const mine = warnings().filter((line) => line.container === hostileName(index));
      expect(mine.length, `${label} on ${hostileName(index)}\n${bridge.dump()}`).toBe(1);
      expect(mine[0]?.label).toBe(label);
    }

    const keys = await client.getAll().prefix(`${prefix}/`).keys();
    expect(keys.filter((key) => key.includes('-bad-'))).toEqual([]);
    // Neither the registry nor the edge shows anything a hostile label asked for.
    const routes = await (await fetch(`${edge.adminUrl}/routes`)).text();
    expect(routes).not.toMatch(/evil|X-Injected|pwned|DROP TABLE/);
    expect(bridge.running).toBe(true);
  });
});
