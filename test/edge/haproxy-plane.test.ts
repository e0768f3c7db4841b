import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { KeyLayout } from '@wharf/core';
import { Edge, HaproxyDataPlane, loadEdgeConfig } from '@wharf/edge';
import type { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EtcdServer, useEtcd } from '../support/etcd-server.js';
import { freePort } from '../support/ports.js';
import { SteadyLoad } from '../support/steady-load.js';
import { eventually } from '../support/wait.js';
import { get, putEndpoint, TestBackend } from './support/backends.js';
import { EdgeProcess } from './support/edge-process.js';

// What only the HAProxy plane has: the controller's side of it (reloads, restarts, files), seen
// from outside. Its behaviour as a proxy is the shared suites' (they run on every plane).

let etcd: EtcdServer;
let client: Etcd3;
useEtcd((started) => {
  ({ etcd, client } = started);
});

describe('the HAProxy data plane, driven live', () => {
  const layout = new KeyLayout(`/wharf-haproxy-plane-${process.pid}`);
  const backends: TestBackend[] = [];
  const backend = async (name: string) => {
    const started = await TestBackend.start(name);
    backends.push(started);
    return started;
  };
  let plane: HaproxyDataPlane;
  let edge: Edge;
  let url: string;
  const stop = new AbortController();
  let running: Promise<void>;

  beforeAll(async () => {
    const config = loadEdgeConfig({
      WHARF_ETCD: etcd.endpoint,
      WHARF_PREFIX: layout.prefix,
      WHARF_DATAPLANE: 'haproxy',
      WHARF_LISTEN: `127.0.0.1:${await freePort()}`,
      WHARF_TLS_LISTEN: `127.0.0.1:${await freePort()}`,
      WHARF_ADMIN_LISTEN: '127.0.0.1:0',
      WHARF_ROUTE_GRACE: '0',
      WHARF_SHUTDOWN_GRACE: '5s',
    });
    // Slots in blocks of 2, so a few new hosts outgrow the configuration and HAProxy reloads.
    plane = new HaproxyDataPlane({ config, slotBlock: 2 });
    edge = new Edge({ config, client, plane });
    url = `http://127.0.0.1:${config.listen.port}`;
    running = edge.run(stop.signal);
    await eventually(() => expect(edge.ready).toBe(true), 20_000);
  });
  afterAll(async () => {
    stop.abort();
    await running;
    for (const started of backends) await started.close();
  });

  it('applies endpoint and route changes through the Runtime API, without a reload', async () => {
    const a = await backend('live-a');
    const b = await backend('live-b');
    await putEndpoint(client, layout, 'live', 'n1:live-a:80', a.port, { host: 'live.test' });
    await eventually(async () => expect((await get(url, 'live.test')).status).toBe(200));
    const reloads = plane.reloads;
    const load = SteadyLoad.start({ url, host: 'live.test', concurrency: 2 });
    try {
      await putEndpoint(client, layout, 'live', 'n1:live-b:80', b.port, { host: 'live.test', weight: 3 });
      await eventually(() => expect(load.servedByNow['live-b']).toBeGreaterThan(0));
      await putEndpoint(client, layout, 'live', 'n1:live-a:80', a.port, {
        host: 'live.test',
        state: 'draining',
      });
      const before = load.servedByNow['live-a'] ?? 0;
      await eventually(async () => {
        const seen = new Set<string>();
        for (let i = 0; i < 4; i++) seen.add((await get(url, 'live.test')).headers.get('x-backend') ?? '');
        expect(seen).toEqual(new Set(['live-b']));
      });
      // A second prefix on the same host, then gone again.
      await putEndpoint(client, layout, 'live-api', 'n1:live-api:80', a.port, {
        host: 'live.test',
        pathPrefix: '/api',
      });
      await eventually(async () =>
        expect((await get(url, 'live.test', '/api/x')).headers.get('x-backend')).toBe('live-a'),
      );
      await client.delete().key(layout.endpointKey('live-api', 'n1:live-api:80'));
      await eventually(async () =>
        expect((await get(url, 'live.test', '/api/x')).headers.get('x-backend')).toBe('live-b'),
      );
      expect((load.servedByNow['live-a'] ?? 0) - before).toBeLessThan(50);
    } finally {
      const report = await load.stop();
      expect(report.failures).toEqual({});
    }
    expect(plane.reloads).toBe(reloads);
  });

  it('reloads hitlessly when pools outgrow the slots: no request fails, and the reloads are counted', async () => {
    const steady = await backend('steady');
    await putEndpoint(client, layout, 'steady', 'n1:steady:80', steady.port, { host: 'steady.test' });
    await eventually(async () => expect((await get(url, 'steady.test')).status).toBe(200));
    const reloads = plane.reloads;
    const load = SteadyLoad.start({ url, host: 'steady.test' });
    try {
      await eventually(() => expect(load.sent).toBeGreaterThan(100), 20_000);
      for (let index = 0; index < 6; index++) {
        const extra = await backend(`grow-${index}`);
        await putEndpoint(client, layout, `grow-${index}`, `n1:grow-${index}:80`, extra.port, {
          host: `grow-${index}.test`,
        });
      }
      for (let index = 0; index < 6; index++) {
        await eventually(async () => expect((await get(url, `grow-${index}.test`)).status).toBe(200));
      }
      const until = load.sent + 100;
      await eventually(() => expect(load.sent).toBeGreaterThan(until), 20_000);
    } finally {
      const report = await load.stop();
      console.log(
        `structural reloads under load: ${plane.reloads - reloads}, ${report.sent} requests, ${report.failed} failed`,
        report.samples,
      );
      expect(report.failures).toEqual({});
    }
    expect(plane.reloads).toBeGreaterThan(reloads);
    const metrics = await edge.metrics.registry.metrics();
    expect(metrics).toMatch(new RegExp(`wharf_edge_haproxy_reloads_total ${plane.reloads}`));
  });

  it('keeps its files mirroring the live state', async () => {
    const directory = plane.directory!;
    const config = await readFile(join(directory, 'haproxy.cfg'), 'utf8');
    const routes = await readFile(join(directory, 'routes.map'), 'utf8');
    const hosts = await readFile(join(directory, 'hosts.map'), 'utf8');
    expect(hosts).toMatch(/^steady\.test steady\.test$/m);
    expect(routes).toMatch(/^steady\.test\/ p\d+$/m);
    expect(config).toMatch(/server n1:steady:80 127\.0\.0\.1:\d+ weight 1 check /);
    // The draining endpoint: in the file, but out of rotation.
    expect(config).toMatch(/server n1:live-a:80 127\.0\.0\.1:\d+ .* disabled$/m);
    // No certificate yet: the crt-list holds the bind's default, a placeholder.
    const crtList = await readFile(join(directory, 'crt-list.txt'), 'utf8');
    expect(crtList).toBe(`${join(directory, 'certs', 'default.pem')} wharf-default.invalid\n`);
  });

  it('restarts HAProxy from its files when it dies, and routes again', async () => {
    const restarts = plane.restarts;
    const pid = plane.pid!;
    process.kill(pid, 'SIGKILL');
    await eventually(() => expect(plane.restarts).toBe(restarts + 1), 20_000);
    expect(plane.pid).not.toBe(pid);
    await eventually(async () => expect((await get(url, 'steady.test')).status).toBe(200), 20_000);
    await eventually(async () => expect((await get(url, 'grow-5.test')).status).toBe(200));
  });
});

describe('the HAProxy data plane as a program', () => {
  const layout = new KeyLayout(`/wharf-haproxy-program-${process.pid}`);
  const edges: EdgeProcess[] = [];
  let target: TestBackend;

  beforeAll(async () => {
    target = await TestBackend.start('logged');
    await putEndpoint(client, layout, 'logged', 'n1:logged:80', target.port, { host: 'logged.test' });
  });
  afterAll(async () => {
    for (const edge of edges) await edge.kill();
    await target?.close();
  });

  it('names a missing haproxy binary in its start-up error', async () => {
    const edge = await EdgeProcess.start({
      dataplane: 'haproxy',
      etcd: etcd.endpoint,
      prefix: layout.prefix,
      // Node's own directory only: no haproxy on this PATH.
      env: { PATH: dirname(process.execPath) },
      waitReady: false,
    });
    edges.push(edge);
    expect(await edge.exited).toBe(1);
    expect(edge.log).toMatch(/"code":"WHARF_HAPROXY_UNAVAILABLE"/);
    expect(edge.log).toMatch(/haproxy binary \\"haproxy\\" is not usable: not found/);
  });

  it('writes one JSON access log line per request on stdout (WHARF_ACCESS_LOG=stdout), and says which plane runs', async () => {
    const edge = await EdgeProcess.start({
      dataplane: 'haproxy',
      etcd: etcd.endpoint,
      prefix: layout.prefix,
      env: { WHARF_ACCESS_LOG: 'stdout' },
    });
    edges.push(edge);
    const response = await get(edge.url, 'Logged.Test', '/path?q=1', { method: 'POST' });
    expect(response.status).toBe(200);
    const missing = await get(edge.url, 'nowhere.test', '/x');
    const entries = () =>
      edge.log
        .split('\n')
        .filter((line) => line.startsWith('{') && line.includes('"requestId"'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    await eventually(() => expect(entries().length).toBeGreaterThanOrEqual(2));
    const [served, refused] = [
      entries().find((entry) => entry.requestId === response.headers.get('x-request-id')),
      entries().find((entry) => entry.requestId === missing.headers.get('x-request-id')),
    ];
    expect(Object.keys(served ?? {})).toEqual([
      'time',
      'client',
      'method',
      'host',
      'path',
      'status',
      'bytes',
      'durationMs',
      'endpoint',
      'retries',
      'requestId',
    ]);
    expect(served).toMatchObject({
      client: '127.0.0.1',
      method: 'POST',
      host: 'logged.test',
      path: '/path?q=1',
      status: 200,
      endpoint: 'n1:logged:80',
      retries: 0,
    });
    expect(refused).toMatchObject({ host: 'nowhere.test', status: 404, endpoint: null });
    const routes = (await (await fetch(`${edge.adminUrl}/routes`)).json()) as { dataplane: string };
    expect(routes.dataplane).toBe('haproxy');
    expect(edge.log).toMatch(/"dataplane":"haproxy".*"msg":"wharf-edge starting"/);
  });
});
