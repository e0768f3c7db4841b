import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { createEtcdClient, KeyLayout } from '@wharf/core';
import type { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA_PLANES } from '../support/data-planes.js';
import { EtcdServer } from '../support/etcd-server.js';
import { freePort } from '../support/ports.js';
import { eventually } from '../support/wait.js';
import { get, putEndpoint, TestBackend } from './support/backends.js';
import { EdgeProcess } from './support/edge-process.js';

const layout = new KeyLayout(`/wharf-edge-lifecycle-${process.pid}`);

function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

/** The processes `pid` forked (an edge's cluster workers). */
async function childrenOf(pid: number | undefined): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
  return text.trim().split(/\s+/).filter(Boolean).map(Number);
}

describe('wharf-edge lifecycle', () => {
  let etcd: EtcdServer;
  let client: Etcd3;
  let target: TestBackend;
  const edges: EdgeProcess[] = [];

  beforeAll(async () => {
    etcd = await EtcdServer.start();
    client = createEtcdClient({ endpoints: [etcd.endpoint] });
    target = await TestBackend.start('life');
    await putEndpoint(client, layout, 'life', 'n1:life:80', target.port, { host: 'life.test' });
  });
  afterAll(async () => {
    for (const edge of edges) await edge.kill();
    await target?.close();
    client?.close();
    await etcd?.close();
  });

  it('serves /healthz and /readyz, and nothing else, on WHARF_HEALTH_LISTEN for load balancers', async () => {
    const healthPort = await freePort();
    const unreachable = await EdgeProcess.start({
      etcd: `http://127.0.0.1:${await freePort()}`,
      prefix: layout.prefix,
      env: { WHARF_HEALTH_LISTEN: `127.0.0.1:${healthPort}` },
      waitReady: false,
    });
    edges.push(unreachable);
    const health = `http://127.0.0.1:${healthPort}`;
    await eventually(async () => expect((await fetch(`${health}/healthz`)).status).toBe(200));
    expect((await fetch(`${health}/readyz`)).status).toBe(503);
    expect(await unreachable.stop()).toBe(0);

    const synced = await EdgeProcess.start({
      etcd: etcd.endpoint,
      prefix: layout.prefix,
      env: { WHARF_HEALTH_LISTEN: `127.0.0.1:${healthPort}` },
    });
    edges.push(synced);
    await eventually(async () => expect((await fetch(`${health}/readyz`)).status).toBe(200));
    for (const path of ['/routes', '/metrics', '/', '/events'])
      expect((await fetch(`${health}${path}`)).status, path).toBe(404);
    expect(await synced.stop()).toBe(0);
  });

  it('refuses bad configuration with one line and a non-zero exit', async () => {
    const bad = await EdgeProcess.start({
      etcd: etcd.endpoint,
      prefix: layout.prefix,
      env: { WHARF_UPSTREAM_TIMEOUT: 'forever' },
      waitReady: false,
    });
    edges.push(bad);
    expect(await bad.exited).toBe(2);
    expect(bad.log.trim()).toMatch(/^wharf-edge: WHARF_UPSTREAM_TIMEOUT="forever" is invalid: expected /);
    expect(bad.log.trim().split('\n')).toHaveLength(1);
  });

  describe.each(DATA_PLANES)('on the %s plane', (dataplane) => {
    it('is alive but not ready until the first sync', async () => {
      const edge = await EdgeProcess.start({
        dataplane,
        etcd: `http://127.0.0.1:${await freePort()}`,
        prefix: layout.prefix,
        waitReady: false,
      });
      edges.push(edge);
      await eventually(async () => expect((await fetch(`${edge.adminUrl}/healthz`)).status).toBe(200));
      expect((await fetch(`${edge.adminUrl}/readyz`)).status).toBe(503);
      expect(await edge.stop()).toBe(0);
    });

    it('on SIGTERM stops accepting, finishes the request in flight and exits 0', async () => {
      const edge = await EdgeProcess.start({
        dataplane,
        etcd: etcd.endpoint,
        prefix: layout.prefix,
        env: { WHARF_SHUTDOWN_GRACE: '10s' },
      });
      edges.push(edge);
      await eventually(async () => expect((await get(edge.url, 'life.test')).status).toBe(200));
      const inFlight = get(edge.url, 'life.test', '/?sleep=1500');
      await eventually(() =>
        expect(target.seen.some((request) => request.url === '/?sleep=1500')).toBe(true),
      );
      const started = Date.now();
      edge.child.kill('SIGTERM');
      await eventually(async () => expect(await refusesConnections(edge.port)).toBe(true));
      const response = await inFlight;
      expect(response.status).toBe(200);
      expect(response.body).toBe('life /?sleep=1500');
      expect(await edge.exited).toBe(0);
      expect(Date.now() - started).toBeLessThan(8_000);
    });

    it('cancels the upstream request when the client goes away', async () => {
      // Default upstream timeout (60 s): only the cancellation can end the upstream request early.
      const edge = await EdgeProcess.start({ dataplane, etcd: etcd.endpoint, prefix: layout.prefix });
      edges.push(edge);
      const slow = await TestBackend.start('abandoned');
      let upstreamClosedEarly = false;
      slow.handler = (req, res) => {
        req.resume();
        const timer = setTimeout(() => res.end('too late'), 30_000);
        res.once('close', () => {
          clearTimeout(timer);
          upstreamClosedEarly = !res.writableFinished;
        });
      };
      try {
        await putEndpoint(client, layout, 'abandoned', 'n1:abandoned:80', slow.port, {
          host: 'abandoned.test',
        });
        await eventually(async () => {
          const routes = (await (await fetch(`${edge.adminUrl}/routes`)).json()) as {
            table: { hosts: { host: string }[] };
          };
          expect(routes.table.hosts.map((host) => host.host)).toContain('abandoned.test');
        });
        const socket = connect(edge.port, '127.0.0.1');
        socket.on('error', () => {});
        socket.write('GET /wait HTTP/1.1\r\nHost: abandoned.test\r\n\r\n');
        await eventually(() => expect(slow.seen.some((request) => request.url === '/wait')).toBe(true));
        socket.destroy();
        await eventually(() => expect(upstreamClosedEarly).toBe(true), 5_000);
      } finally {
        await slow.close();
      }
    });

    it('runs two workers (processes, or HAProxy threads) with one admin listener and aggregated metrics', async () => {
      const edge = await EdgeProcess.start({
        dataplane,
        etcd: etcd.endpoint,
        prefix: layout.prefix,
        env: { WHARF_WORKERS: '2' },
      });
      edges.push(edge);
      const pids = new Set<string>();
      for (let i = 0; i < 20; i++) {
        const response = await get(edge.url, 'life.test', '/', { headers: { connection: 'close' } });
        expect(response.status).toBe(200);
        pids.add(response.headers.get('x-request-id')?.split('-')[0] ?? '');
      }
      const routes = (await (await fetch(`${edge.adminUrl}/routes`)).json()) as {
        table: { hosts: { host: string }[] };
      };
      expect(routes.table.hosts.map((host) => host.host)).toContain('life.test');
      const metrics = await (await fetch(`${edge.adminUrl}/metrics`)).text();
      const total = /wharf_edge_requests_total\{route="life\.test\/",status="(?:200|2xx)"\} (\d+)/.exec(
        metrics,
      );
      expect(Number(total?.[1])).toBe(20);
      expect(metrics).toMatch(/wharf_edge_route_endpoints\{route="life\.test\/",state="serving"\} 1/);
      // Built-in: each worker process has its own request-id prefix and accepts from the shared
      // socket. HAProxy: one process with two threads, one prefix.
      expect(pids.size).toBe(dataplane === 'builtin' ? 2 : 1);
      expect(await edge.stop()).toBe(0);
    });
  });

  it('replaces a worker that dies and keeps serving through the other', async () => {
    const edge = await EdgeProcess.start({
      etcd: etcd.endpoint,
      prefix: layout.prefix,
      env: { WHARF_WORKERS: '2' },
    });
    edges.push(edge);
    await eventually(async () => expect(await childrenOf(edge.child.pid)).toHaveLength(2));
    const [victim] = await childrenOf(edge.child.pid);
    process.kill(victim as number, 'SIGKILL');
    // At once: a connection must not be handed to the dead worker (Node's round robin did, and
    // it was never answered).
    expect((await get(edge.url, 'life.test', '/', { headers: { connection: 'close' } })).status).toBe(200);
    await eventually(async () => {
      const workers = await childrenOf(edge.child.pid);
      expect(workers).toHaveLength(2);
      expect(workers).not.toContain(victim);
      expect((await fetch(`${edge.adminUrl}/readyz`)).status).toBe(200);
    }, 15_000);
    expect(edge.log).toMatch(/worker exited; replacing/);
    expect(await edge.stop()).toBe(0);
  });
});
