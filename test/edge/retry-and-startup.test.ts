import { request } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { createEtcdClient, KeyLayout } from '@wharf/core';
import type { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA_PLANES } from '../support/data-planes.js';
import { EtcdServer } from '../support/etcd-server.js';
import { eventually } from '../support/wait.js';
import { get, putEndpoint, TestBackend } from './support/backends.js';
import { EdgeProcess } from './support/edge-process.js';

/**
 * A backend that breaks connections the way a process shutting down does: it reads a request
 * and resets the connection without answering. `answerFirst` answers the first request on each
 * connection (keep-alive) and resets on the second, like a backend closing a pooled socket.
 */
class BreakingBackend {
  readonly requests: string[] = [];
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  private constructor(answerFirst: boolean) {
    this.#server = createServer((socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
      socket.on('error', () => {});
      let buffered = '';
      let answered = 0;
      socket.on('data', (chunk) => {
        buffered += chunk.toString('latin1');
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        this.requests.push(buffered.slice(0, buffered.indexOf('\r\n')));
        buffered = '';
        if (answerFirst && answered === 0) {
          answered += 1;
          socket.write('HTTP/1.1 200 OK\r\ncontent-length: 7\r\nconnection: keep-alive\r\n\r\nbreaker');
          return;
        }
        socket.resetAndDestroy();
      });
    });
  }

  static async start(answerFirst = false): Promise<BreakingBackend> {
    const backend = new BreakingBackend(answerFirst);
    await new Promise<void>((resolve) => backend.#server.listen(0, '127.0.0.1', resolve));
    return backend;
  }

  get port(): number {
    return (this.#server.address() as { port: number }).port;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}

describe.each(DATA_PLANES)('wharf-edge retries on the %s plane', (dataplane) => {
  const layout = new KeyLayout(`/wharf-edge-retry-${process.pid}-${dataplane}`);
  let etcd: EtcdServer;
  let client: Etcd3;
  let edge: EdgeProcess;
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    etcd = await EtcdServer.start();
    client = createEtcdClient({ endpoints: [etcd.endpoint] });
    edge = await EdgeProcess.start({ dataplane, etcd: etcd.endpoint, prefix: layout.prefix });
  });
  afterAll(async () => {
    await edge?.kill();
    for (const close of closers) await close();
    client?.close();
    await etcd?.close();
  });

  const good = async (name: string) => {
    const backend = await TestBackend.start(name);
    closers.push(() => backend.close());
    return backend;
  };
  const breaking = async (answerFirst = false) => {
    const backend = await BreakingBackend.start(answerFirst);
    closers.push(() => backend.close());
    return backend;
  };

  it('replays a GET whose fresh connection was reset before any response on another endpoint', async () => {
    const breaker = await breaking();
    const ok = await good('fresh-ok');
    await putEndpoint(client, layout, 'fresh', 'n1:breaker:80', breaker.port, { host: 'fresh.test' });
    await putEndpoint(client, layout, 'fresh', 'n1:ok:80', ok.port, { host: 'fresh.test' });
    await eventually(async () => expect((await get(edge.url, 'fresh.test')).status).toBe(200));
    const statuses = [];
    for (let index = 0; index < 20; index++) {
      for (const method of ['GET', 'HEAD', 'DELETE']) {
        statuses.push((await get(edge.url, 'fresh.test', '/', { method })).status);
      }
    }
    expect(new Set(statuses)).toEqual(new Set([200]));
    // The breaker was tried (and reset the connection), so the 200s include replays.
    expect(breaker.requests.length).toBeGreaterThan(0);
  });

  it('replays a GET whose pooled connection was reset before the response', async () => {
    const breaker = await breaking(true);
    const ok = await good('pooled-ok');
    await putEndpoint(client, layout, 'pooled', 'n1:breaker:80', breaker.port, { host: 'pooled.test' });
    await putEndpoint(client, layout, 'pooled', 'n1:ok:80', ok.port, { host: 'pooled.test' });
    await eventually(async () => expect((await get(edge.url, 'pooled.test')).status).toBe(200));
    const statuses = [];
    for (let index = 0; index < 20; index++) statuses.push((await get(edge.url, 'pooled.test')).status);
    expect(new Set(statuses)).toEqual(new Set([200]));
    expect(breaker.requests.length).toBeGreaterThan(1);
  });

  it('never replays a POST with a body once its connection was up', async () => {
    const breaker = await breaking();
    const ok = await good('post-ok');
    await putEndpoint(client, layout, 'post', 'n1:breaker:80', breaker.port, {
      host: 'post.test',
      weight: 100,
    });
    await putEndpoint(client, layout, 'post', 'n1:ok:80', ok.port, { host: 'post.test' });
    await eventually(async () => {
      const document = (await (await fetch(`${edge.adminUrl}/routes`)).json()) as {
        table: { hosts: { host: string; routes: { endpoints: unknown[] }[] }[] };
      };
      const host = document.table.hosts.find((entry) => entry.host === 'post.test');
      expect(host?.routes[0]?.endpoints).toHaveLength(2);
    });
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: edge.port, method: 'POST', path: '/', agent: false },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.setHeader('host', 'post.test');
      req.on('error', reject);
      req.end('hello');
    });
    expect(status).toBe(502);
    expect(breaker.requests).toEqual(['POST / HTTP/1.1']);
    expect(ok.seen.filter((request) => request.method === 'POST')).toEqual([]);
  });
});

describe.each(DATA_PLANES)('wharf-edge on the %s plane before its first sync', (dataplane) => {
  const layout = new KeyLayout(`/wharf-edge-startup-${process.pid}-${dataplane}`);
  it('answers 503 "not ready" (never 404) after WHARF_STARTUP_WAIT, then routes once etcd answers', async () => {
    const etcd = await EtcdServer.start();
    const client = createEtcdClient({ endpoints: [etcd.endpoint] });
    const backend = await TestBackend.start('startup');
    let edge: EdgeProcess | undefined;
    try {
      await putEndpoint(client, layout, 'startup', 'n1:startup:80', backend.port, { host: 'startup.test' });
      await etcd.stop();
      edge = await EdgeProcess.start({
        dataplane,
        etcd: etcd.endpoint,
        prefix: layout.prefix,
        waitReady: false,
        env: { WHARF_STARTUP_WAIT: '300ms' },
      });
      const started = edge;
      let early: Awaited<ReturnType<typeof get>> | undefined;
      await eventually(async () => {
        early = await get(started.url, 'startup.test');
        // HAProxy is a process to start, not a listener in the edge's own: allow it longer.
      }, 20_000);
      expect(early?.status).toBe(503);
      expect(early?.body).toMatch(/not ready/);
      await etcd.start();
      const waiting = get(started.url, 'startup.test');
      await eventually(async () => expect((await get(started.url, 'startup.test')).status).toBe(200), 20_000);
      // A request that was waiting when the sync arrived is routed, or got 503 if it waited too long.
      expect([200, 503]).toContain((await waiting).status);
    } finally {
      await edge?.kill();
      await backend.close();
      client.close();
      await etcd.close();
    }
  });
});
