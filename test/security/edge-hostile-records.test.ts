import { KeyLayout } from '@wharf/core';
import type { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, putEndpoint, TestBackend } from '../edge/support/backends.js';
import { EdgeProcess } from '../edge/support/edge-process.js';
import { type EtcdServer, useEtcd } from '../support/etcd-server.js';
import { putAll } from '../support/etcd-writes.js';
import { FORBIDDEN_ADDRESSES, hostileEntries } from '../support/record-fuzzer.js';
import { SteadyLoad } from '../support/steady-load.js';
import { eventually } from '../support/wait.js';

const SEED = Number(process.env.WHARF_FUZZ_SEED ?? 20_261_124);
const COUNT = 1_200;
const prefix = `/wharf-fuzz-${process.pid}`;
const layout = new KeyLayout(prefix);

interface RoutesDocument {
  table: { hosts: { host: string; routes: { endpoints: { key: string; address: string }[] }[] }[] };
  backends: { backend: string }[];
}

/** The edge's JSON log lines (stderr) at warn level that name a key. */
function keyWarnings(log: string): Map<string, string[]> {
  const byKey = new Map<string, string[]>();
  for (const line of log.split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { level: number; key?: string; msg: string };
    if (entry.level !== 40 || entry.key === undefined) continue;
    byKey.set(entry.key, [...(byKey.get(entry.key) ?? []), entry.msg]);
  }
  return byKey;
}

describe(`a real edge under ${COUNT} hostile registry values (seed ${SEED})`, () => {
  let etcd: EtcdServer;
  let client: Etcd3;
  let edge: EdgeProcess;
  const backends: TestBackend[] = [];
  let fullLog = '';

  useEtcd((started) => {
    etcd = started.etcd;
    client = started.client;
  });
  beforeAll(async () => {
    for (const name of ['good-1', 'good-2']) {
      const backend = await TestBackend.start(name);
      backends.push(backend);
      await putEndpoint(client, layout, 'good', `n1:${name}:80`, backend.port, { host: 'good.test' });
    }
    edge = await EdgeProcess.start({ etcd: etcd.endpoint, prefix, env: { LOG_LEVEL: 'warn' } });
    // EdgeProcess keeps only the tail of a long log; the count of warnings needs all of it.
    edge.child.stderr?.on('data', (chunk: Buffer) => {
      fullLog += chunk.toString();
    });
  });
  afterAll(async () => {
    await edge?.kill();
    for (const backend of backends) await backend.close();
  });

  it('never crashes, keeps every valid route serving, refuses every bad entry and warns once per bad key', async () => {
    await eventually(async () => expect((await get(edge.url, 'good.test')).status).toBe(200));
    const entries = [
      ...hostileEntries({ seed: SEED, count: COUNT, prefix, hosts: ['good.test', 'fuzz.test'] }),
    ];
    const load = SteadyLoad.start({ url: edge.url, host: 'good.test' });
    let report: Awaited<ReturnType<SteadyLoad['stop']>>;
    try {
      await putAll(client, entries);
      // A marker written last: once the edge routes it, it has seen every entry before it.
      const marker = await TestBackend.start('marker');
      backends.push(marker);
      await putEndpoint(client, layout, 'marker', 'n1:marker:80', marker.port, { host: 'marker.test' });
      await eventually(async () => expect((await get(edge.url, 'marker.test')).status).toBe(200), 20_000);
      // Keep the traffic up a while longer over the final table.
      const target = load.sent + 300;
      await eventually(() => expect(load.sent).toBeGreaterThan(target), 20_000);
    } finally {
      report = await load.stop();
    }

    expect(edge.child.exitCode).toBeNull();
    expect(report.sent).toBeGreaterThan(300);
    expect.soft(report.failures).toEqual({});
    expect.soft(Object.keys(report.servedBy).sort()).toEqual(['good-1', 'good-2']);

    // Nothing but the valid backends is in the table: no forbidden address made it in.
    const routes = (await (await fetch(`${edge.adminUrl}/routes`)).json()) as RoutesDocument;
    const addresses = routes.table.hosts.flatMap((host) =>
      host.routes.flatMap((route) => route.endpoints.map((endpoint) => endpoint.address)),
    );
    const forbidden = addresses.filter((address) => FORBIDDEN_ADDRESSES.includes(address));
    expect.soft(forbidden, 'forbidden addresses in the route table').toEqual([]);
    expect
      .soft(routes.backends.map((backend) => backend.backend).sort())
      .toEqual(backends.map((backend) => `127.0.0.1:${backend.port}`).sort());
    // The host only hostile entries named is unknown (404), never a forward (502/504).
    expect.soft((await get(edge.url, 'fuzz.test')).status).toBe(404);

    const warnings = keyWarnings(fullLog);
    const missing = entries.filter((entry) => !warnings.has(entry.key)).map((entry) => entry.category);
    expect.soft(missing, 'bad keys the edge did not warn about').toEqual([]);
    const repeated = [...warnings].filter(([, messages]) => messages.length !== 1);
    expect.soft(repeated, 'bad keys warned about more than once').toEqual([]);
    expect((await fetch(`${edge.adminUrl}/healthz`)).status).toBe(200);
  });
});
