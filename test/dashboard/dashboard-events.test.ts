import type { AddressInfo } from 'node:net';
import { type RegistryChange, silentLogger } from '@wharf/core';
import { afterEach, describe, expect, it } from 'vitest';
import { AdminServer } from '../../packages/edge/src/admin/admin-server.js';
import { Dashboard } from '../../packages/edge/src/admin/dashboard.js';
import { routesDocument } from '../../packages/edge/src/admin/edge-admin.js';
import { RouteStats } from '../../packages/edge/src/dataplane/route-stats.js';
import { LiveRoutes } from '../../packages/edge/src/live-routes.js';
import { endpointRecord } from '../support/records.js';
import { eventually } from '../support/wait.js';

/** One `/events` stream read as text, frame by frame. */
class EventStream {
  readonly controller = new AbortController();
  text = '';
  status = 0;
  contentType = '';
  #done: Promise<void> = Promise.resolve();

  static async open(url: string): Promise<EventStream> {
    const stream = new EventStream();
    const response = await fetch(url, { signal: stream.controller.signal });
    stream.status = response.status;
    stream.contentType = response.headers.get('content-type') ?? '';
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    stream.#done = (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          stream.text += decoder.decode(value, { stream: true });
        }
      } catch {
        // aborted
      }
    })();
    return stream;
  }

  /** Parsed `data:` of every frame with this event name. */
  events(name: string): Record<string, unknown>[] {
    return this.text
      .split('\n\n')
      .filter((frame) => frame.startsWith(`event: ${name}\n`))
      .map((frame) => JSON.parse(frame.split('\n')[1]!.slice('data: '.length)));
  }

  async close(): Promise<void> {
    this.controller.abort();
    await this.#done;
  }
}

function endpointChange(id: string, port: number, state: 'serving' | 'draining'): RegistryChange {
  const key = `/wharf/services/web/${id}`;
  return {
    kind: 'endpoint',
    key,
    parsed: { kind: 'endpoint', service: 'web', instanceId: id },
    current: endpointRecord({
      service: 'web',
      id,
      port,
      node: 'n1',
      bridge: 'b1',
      routes: [{ host: 'web.test', pathPrefix: '/' }],
      state,
      registeredAt: new Date().toISOString(),
    }),
    previous: undefined,
  } as RegistryChange;
}

describe('dashboard event stream (in process, real HTTP)', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function start(options: { maxClients?: number; heartbeatMs?: number; tickMs?: number } = {}) {
    const routes = new LiveRoutes();
    const stats = new RouteStats();
    const admin = new AdminServer({ listen: { host: '127.0.0.1', port: 0 }, logger: silentLogger });
    const dashboard = new Dashboard(
      {
        // The dashboard reads counters and backends from the data plane; only those are needed here.
        routes: () =>
          routesDocument(routes, undefined, {
            kind: 'builtin',
            stats: () => ({ requests: stats.entries(), failures: stats.failures, backends: [] }),
          }),
        counters: () => stats.entries(),
        ready: () => true,
        subscribe: (listener) => routes.subscribe(listener),
      },
      { tableIntervalMs: 20, tickMs: options.tickMs ?? 100, ...options },
    ).mount(admin);
    await admin.listen();
    cleanups.push(async () => {
      dashboard.close();
      await admin.close();
      routes.close();
    });
    const url = `http://127.0.0.1:${(admin.address as AddressInfo).port}`;
    return { routes, stats, dashboard, url };
  }

  it('sends a snapshot on connect, a table on each change and ticks with rates', async () => {
    const { routes, stats, url } = await start();
    const stream = await EventStream.open(`${url}/events`);
    cleanups.push(() => stream.close());
    expect(stream.status).toBe(200);
    expect(stream.contentType).toMatch(/^text\/event-stream/);
    await eventually(() => expect(stream.events('snapshot')).toHaveLength(1));
    expect(stream.text.startsWith('retry: ')).toBe(true);
    const [snapshot] = stream.events('snapshot') as {
      table: { hosts: unknown[] };
      status: { ready: boolean };
    }[];
    expect(snapshot?.table.hosts).toEqual([]);
    expect(snapshot?.status.ready).toBe(true);

    routes.apply({ revision: 7, reset: false, changes: [endpointChange('n1:web-1:80', 1001, 'serving')] });
    await eventually(() => {
      const tables = stream.events('table') as { table: { revision: number; hosts: { host: string }[] } }[];
      expect(tables.at(-1)?.table.revision).toBe(7);
      expect(tables.at(-1)?.table.hosts.map((host) => host.host)).toEqual(['web.test']);
    });

    for (let index = 0; index < 40; index++) stats.record('web.test/', index % 4 === 0 ? 502 : 200);
    await eventually(() => {
      const ticks = stream.events('tick') as {
        rates: Record<string, { requestsPerSecond: number; errorShare: number }>;
      }[];
      const rate = ticks.at(-1)?.rates['web.test/'];
      expect(rate?.requestsPerSecond).toBeGreaterThan(0);
      expect(rate?.errorShare).toBeCloseTo(0.25, 5);
    });
  });

  it('coalesces a storm of table changes', async () => {
    const { routes, url } = await start({ tickMs: 60_000 });
    const stream = await EventStream.open(`${url}/events`);
    cleanups.push(() => stream.close());
    await eventually(() => expect(stream.events('snapshot')).toHaveLength(1));
    for (let revision = 10; revision < 110; revision++)
      routes.apply({
        revision,
        reset: false,
        changes: [endpointChange(`n1:web-${revision}:80`, revision, 'serving')],
      });
    await eventually(() => {
      const tables = stream.events('table') as { table: { revision: number } }[];
      expect(tables.at(-1)?.table.revision).toBe(109);
    });
    expect(stream.events('table').length).toBeLessThan(10);
  });

  it('caps concurrent streams and frees a slot when a client goes away', async () => {
    const { dashboard, url } = await start({ maxClients: 2 });
    const first = await EventStream.open(`${url}/events`);
    const second = await EventStream.open(`${url}/events`);
    cleanups.push(
      () => first.close(),
      () => second.close(),
    );
    await eventually(() => expect(dashboard.clients).toBe(2));
    const refused = await fetch(`${url}/events`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('10');
    await refused.text();

    await first.close();
    await eventually(() => expect(dashboard.clients).toBe(1));
    const third = await EventStream.open(`${url}/events`);
    cleanups.push(() => third.close());
    expect(third.status).toBe(200);
    await second.close();
    await third.close();
    await eventually(() => expect(dashboard.clients).toBe(0));
  });

  it('sends heartbeat comments on a quiet stream', async () => {
    const { url } = await start({ heartbeatMs: 50, tickMs: 60_000 });
    const stream = await EventStream.open(`${url}/events`);
    cleanups.push(() => stream.close());
    await eventually(() => expect(stream.text).toContain(': heartbeat\n\n'));
  });

  it('serves the page, its script and style with a strict content security policy', async () => {
    const { url } = await start();
    for (const [path, type] of [
      ['/', 'text/html'],
      ['/dashboard.js', 'text/javascript'],
      ['/dashboard.css', 'text/css'],
    ] as const) {
      const response = await fetch(`${url}${path}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain(type);
      expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
      const body = await response.text();
      // Nothing from outside the admin listener.
      expect(body).not.toMatch(/https?:\/\//);
      if (path === '/dashboard.js') expect(body).not.toContain('innerHTML');
    }
  });

  it('ends every stream on close', async () => {
    const { dashboard, url } = await start();
    const stream = await EventStream.open(`${url}/events`);
    cleanups.push(() => stream.close());
    await eventually(() => expect(dashboard.clients).toBe(1));
    dashboard.close();
    dashboard.close();
    expect(dashboard.clients).toBe(0);
    const refused = await fetch(`${url}/events`);
    expect(refused.status).toBe(503);
    await refused.text();
  });
});
