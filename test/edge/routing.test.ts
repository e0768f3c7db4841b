import { createServer, request } from 'node:http';
import { connect } from 'node:net';
import { encodeRecord, KeyLayout } from '@wharf/core';
import type { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA_PLANES } from '../support/data-planes.js';
import { type EtcdServer, useEtcd } from '../support/etcd-server.js';
import { freePort } from '../support/ports.js';
import { routeRecord } from '../support/records.js';
import { eventually } from '../support/wait.js';
import { get, putEndpoint, TestBackend } from './support/backends.js';
import { EdgeProcess } from './support/edge-process.js';

/** Sends raw bytes and resolves with everything the edge answered before closing (or after `waitMs`). */
function raw(port: number, payload: string, waitMs = 3_000): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, closed: false });
    }, waitMs);
    socket.on('data', (chunk) => {
      text += chunk.toString();
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closed: true });
    });
    socket.on('error', () => {});
    socket.write(payload);
  });
}

// One etcd for the file; each plane has its own edge and key prefix.
let etcd: EtcdServer;
let client: Etcd3;
useEtcd((started) => {
  ({ etcd, client } = started);
});

describe.each(
  DATA_PLANES,
)('wharf-edge routing on the %s plane (real etcd, real backends, edge as a child process)', (dataplane) => {
  const layout = new KeyLayout(`/wharf-edge-routing-${process.pid}-${dataplane}`);
  let edge: EdgeProcess;
  const backends: TestBackend[] = [];
  const backend = async (name: string) => {
    const started = await TestBackend.start(name);
    backends.push(started);
    return started;
  };

  beforeAll(async () => {
    edge = await EdgeProcess.start({
      dataplane,
      etcd: etcd.endpoint,
      prefix: layout.prefix,
      env: {
        // These tests see a route go the moment its last endpoint does; the grace is tested below.
        WHARF_ROUTE_GRACE: '0',
        WHARF_UPSTREAM_TIMEOUT: '1s',
        WHARF_HEADERS_TIMEOUT: '1s',
        WHARF_EJECTION_TIME: '1s',
        WHARF_TRUSTED_PROXIES: '127.0.0.2/32',
      },
    });
  });
  afterAll(async () => {
    await edge?.kill();
    for (const started of backends) await started.close();
  });

  it('spreads requests by weight with smooth round-robin', async () => {
    const a = await backend('a');
    const b = await backend('b');
    await putEndpoint(client, layout, 'rr', 'n1:rr-a:80', a.port, { host: 'rr.test', weight: 3 });
    await putEndpoint(client, layout, 'rr', 'n1:rr-b:80', b.port, { host: 'rr.test', weight: 1 });
    await eventually(async () => {
      const names = new Set<string>();
      for (let i = 0; i < 4; i++) names.add((await get(edge.url, 'rr.test')).headers.get('x-backend') ?? '');
      expect(names).toEqual(new Set(['a', 'b']));
    });
    const counts: Record<string, number> = { a: 0, b: 0 };
    for (let i = 0; i < 40; i++) {
      const response = await get(edge.url, 'RR.test:8080');
      expect(response.status).toBe(200);
      counts[response.headers.get('x-backend')!]! += 1;
    }
    expect(counts).toEqual({ a: 30, b: 10 });
  });

  it('routes the longest path prefix on segment boundaries', async () => {
    const root = await backend('root');
    const api = await backend('api');
    await putEndpoint(client, layout, 'pfx-root', 'n1:pfx-root:80', root.port, { host: 'prefix.test' });
    await putEndpoint(client, layout, 'pfx-api', 'n1:pfx-api:80', api.port, {
      host: 'prefix.test',
      pathPrefix: '/api',
    });
    await eventually(async () =>
      expect((await get(edge.url, 'prefix.test', '/api/x')).body).toBe('api /api/x'),
    );
    expect((await get(edge.url, 'prefix.test', '/api')).body).toBe('api /api');
    expect((await get(edge.url, 'prefix.test', '/api?q=1')).body).toBe('api /api?q=1');
    expect((await get(edge.url, 'prefix.test', '/apix')).body).toBe('root /apix');
    expect((await get(edge.url, 'prefix.test.', '/')).body).toBe('root /');
  });

  it('answers 404 for unknown hosts, with a request id', async () => {
    const response = await get(edge.url, 'nowhere.test', '/x');
    expect(response.status).toBe(404);
    expect(response.body).toMatch(/no route for nowhere\.test\/x/);
    const requestId = response.headers.get('x-request-id');
    expect(requestId).toBeTruthy();
    expect(response.body).toContain(requestId);
  });

  it('makes a change routable within a fraction of a second', async () => {
    const fast = await backend('fast');
    const started = Date.now();
    await putEndpoint(client, layout, 'fast', 'n1:fast:80', fast.port, { host: 'fast.test' });
    await eventually(async () => expect((await get(edge.url, 'fast.test')).status).toBe(200), 1_000);
    console.log(`etcd put → routable through the edge in ${Date.now() - started} ms`);
  });

  it('sends nothing new to draining endpoints; deleting the last endpoint removes the route', async () => {
    const a = await backend('drain-a');
    const b = await backend('drain-b');
    const keyA = await putEndpoint(client, layout, 'drain', 'n1:drain-a:80', a.port, { host: 'drain.test' });
    const keyB = await putEndpoint(client, layout, 'drain', 'n1:drain-b:80', b.port, { host: 'drain.test' });
    await eventually(async () => expect((await get(edge.url, 'drain.test')).status).toBe(200));
    await putEndpoint(client, layout, 'drain', 'n1:drain-a:80', a.port, {
      host: 'drain.test',
      state: 'draining',
    });
    await eventually(async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 6; i++)
        seen.add((await get(edge.url, 'drain.test')).headers.get('x-backend') ?? '');
      expect(seen).toEqual(new Set(['drain-b']));
    });
    await putEndpoint(client, layout, 'drain', 'n1:drain-b:80', b.port, {
      host: 'drain.test',
      state: 'draining',
    });
    await eventually(async () => expect((await get(edge.url, 'drain.test')).status).toBe(503));
    await client.delete().key(keyA);
    await client.delete().key(keyB);
    await eventually(async () => expect((await get(edge.url, 'drain.test')).status).toBe(404));
  });

  it('lets a request in flight to a deleted endpoint finish', async () => {
    const gone = await backend('gone');
    const key = await putEndpoint(client, layout, 'gone', 'n1:gone:80', gone.port, { host: 'gone.test' });
    await eventually(async () => expect((await get(edge.url, 'gone.test')).status).toBe(200));
    const inFlight = get(edge.url, 'gone.test', '/?sleep=800');
    await eventually(() => expect(gone.seen.some((request) => request.url === '/?sleep=800')).toBe(true));
    await client.delete().key(key);
    await eventually(async () => expect((await get(edge.url, 'gone.test')).status).toBe(404));
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(response.body).toBe('gone /?sleep=800');
  });

  it('operator routes send a host to every serving endpoint of a service; 503 when there is none', async () => {
    const shop = await backend('shop');
    await client
      .put(layout.routeKey('shop-alias'))
      .value(encodeRecord(routeRecord({ host: 'alias.test', service: 'shop' })));
    await eventually(async () => {
      const response = await get(edge.url, 'alias.test');
      expect(response.status).toBe(503);
      expect(response.body).toMatch(/no serving endpoint for alias\.test\//);
    });
    const key = await putEndpoint(client, layout, 'shop', 'n1:shop-1:80', shop.port);
    await eventually(async () =>
      expect((await get(edge.url, 'alias.test', '/cart')).body).toBe('shop /cart'),
    );
    await client.delete().key(key);
    // The operator route keeps the host known: 503, never a fall-through or a 404.
    await eventually(async () => expect((await get(edge.url, 'alias.test')).status).toBe(503));
    await client.delete().key(layout.routeKey('shop-alias'));
    await eventually(async () => expect((await get(edge.url, 'alias.test')).status).toBe(404));
  });

  it('keeps a host whose last endpoint went away known for WHARF_ROUTE_GRACE: 503, then 404', async () => {
    const graceful = await EdgeProcess.start({
      dataplane,
      etcd: etcd.endpoint,
      prefix: layout.prefix,
      // Requests are answered at once here; holding them (WHARF_ROUTE_WAIT) is tested below.
      env: { WHARF_ROUTE_GRACE: '2s', WHARF_ROUTE_WAIT: '0' },
    });
    try {
      const app = await backend('redeploy');
      const key = await putEndpoint(client, layout, 'redeploy', 'n1:redeploy-1:80', app.port, {
        host: 'redeploy.test',
      });
      await eventually(async () => expect((await get(graceful.url, 'redeploy.test')).status).toBe(200));
      await client.delete().key(key);
      // A redeploy between the old container's removal and the new one's first passing check.
      await eventually(async () => expect((await get(graceful.url, 'redeploy.test')).status).toBe(503));
      const unavailable = await get(graceful.url, 'redeploy.test');
      expect(unavailable.headers.get('retry-after')).toBe('5');
      const routes = (await (await fetch(`${graceful.adminUrl}/routes`)).json()) as {
        table: { hosts: { host: string; routes: { heldUntil: string | null }[] }[] };
      };
      const held = routes.table.hosts.find((host) => host.host === 'redeploy.test');
      expect(held?.routes[0]?.heldUntil).not.toBeNull();
      await putEndpoint(client, layout, 'redeploy', 'n1:redeploy-2:80', app.port, { host: 'redeploy.test' });
      await eventually(async () => expect((await get(graceful.url, 'redeploy.test')).status).toBe(200));
      await client.delete().prefix(layout.serviceKeys('redeploy'));
      await eventually(async () => expect((await get(graceful.url, 'redeploy.test')).status).toBe(503));
      // Nothing came back within the grace: the host is forgotten.
      await eventually(
        async () => expect((await get(graceful.url, 'redeploy.test')).status).toBe(404),
        5_000,
      );
    } finally {
      await graceful.kill();
    }
  });

  it('holds a request to a held route until a serving endpoint appears (WHARF_ROUTE_WAIT), then answers 503 with Retry-After', async () => {
    const holding = await EdgeProcess.start({
      dataplane,
      etcd: etcd.endpoint,
      prefix: layout.prefix,
      env: { WHARF_ROUTE_GRACE: '30s', WHARF_ROUTE_WAIT: '3s' },
    });
    try {
      const app = await backend('held');
      const key = await putEndpoint(client, layout, 'held', 'n1:held-1:80', app.port, { host: 'held.test' });
      await eventually(async () => expect((await get(holding.url, 'held.test')).status).toBe(200));
      await client.delete().key(key);
      await eventually(async () => {
        const routes = (await (await fetch(`${holding.adminUrl}/routes`)).json()) as {
          table: { hosts: { host: string; routes: { heldUntil: string | null }[] }[] };
        };
        const held = routes.table.hosts.find((host) => host.host === 'held.test');
        expect(held?.routes[0]?.heldUntil).not.toBeNull();
      });
      // Arrives while nothing serves; the replacement registers half a second later.
      const started = Date.now();
      const waiting = get(holding.url, 'held.test', '/during-redeploy');
      await new Promise((resolve) => setTimeout(resolve, 500));
      await putEndpoint(client, layout, 'held', 'n1:held-2:80', app.port, { host: 'held.test' });
      const served = await waiting;
      expect(served.status).toBe(200);
      expect(served.body).toBe('held /during-redeploy');
      expect(Date.now() - started).toBeGreaterThanOrEqual(450);

      // Nothing comes back: the request waits out WHARF_ROUTE_WAIT, then 503 with Retry-After.
      await client.delete().prefix(layout.serviceKeys('held'));
      await eventually(async () => expect(app.seen.at(-1)?.url).toBe('/during-redeploy'));
      const before = Date.now();
      let unavailable = await get(holding.url, 'held.test');
      // The first answers may still come from the table before the delete.
      while (unavailable.status === 200) unavailable = await get(holding.url, 'held.test');
      expect(unavailable.status).toBe(503);
      expect(unavailable.headers.get('retry-after')).toBe('5');
      expect(unavailable.body).toMatch(/no serving endpoint for held\.test\//);
      expect(Date.now() - before).toBeGreaterThanOrEqual(2_900);
    } finally {
      await holding.kill();
    }
  });

  it('never falls through to a shorter prefix when the longer one has no serving endpoint', async () => {
    const root = await backend('ft-root');
    await putEndpoint(client, layout, 'ft-root', 'n1:ft-root:80', root.port, { host: 'ft.test' });
    await putEndpoint(client, layout, 'ft-api', 'n1:ft-api:80', root.port, {
      host: 'ft.test',
      pathPrefix: '/api',
      state: 'draining',
    });
    await eventually(async () => expect((await get(edge.url, 'ft.test', '/api/x')).status).toBe(503));
    expect((await get(edge.url, 'ft.test', '/other')).status).toBe(200);
  });

  it('sends a request whose connection was refused to another endpoint, whatever its method', async () => {
    const good = await backend('retry-good');
    const refused = await freePort();
    await putEndpoint(client, layout, 'retry', 'n1:retry-0:80', refused, { host: 'retry.test' });
    await putEndpoint(client, layout, 'retry', 'n1:retry-1:80', good.port, { host: 'retry.test' });
    await eventually(async () => expect((await get(edge.url, 'retry.test')).status).toBe(200));
    for (let i = 0; i < 4; i++)
      expect((await get(edge.url, 'retry.test')).headers.get('x-backend')).toBe('retry-good');

    const refusedPost = await freePort();
    await putEndpoint(client, layout, 'post', 'n1:post-0:80', refusedPost, { host: 'post.test' });
    await putEndpoint(client, layout, 'post', 'n1:post-1:80', good.port, { host: 'post.test' });
    await eventually(async () => expect((await get(edge.url, 'post.test')).status).toBe(200));
    // Nothing reached a backend over a refused connection: a POST may go elsewhere too. (Once a
    // connection is up, a POST is never sent again: retry-and-startup.test.ts.)
    const statuses = [];
    for (let i = 0; i < 2; i++)
      statuses.push((await get(edge.url, 'post.test', '/', { method: 'POST' })).status);
    expect(statuses).toEqual([200, 200]);
  });

  it('answers 502 when no endpoint accepts the connection and 504 when the upstream is too slow', async () => {
    const slow = await backend('slow');
    await putEndpoint(client, layout, 'dead', 'n1:dead:80', await freePort(), { host: 'dead.test' });
    await putEndpoint(client, layout, 'slow', 'n1:slow:80', slow.port, { host: 'slow.test' });
    await eventually(async () => expect((await get(edge.url, 'dead.test')).status).toBe(502));
    const response = await get(edge.url, 'slow.test', '/?sleep=3000');
    expect(response.status).toBe(504);
    expect(response.body).toMatch(/did not answer in time/);
    expect((await get(edge.url, 'slow.test', '/?sleep=10')).status).toBe(200);
  });

  it('ejects an endpoint that keeps refusing and takes it back after the ejection time', async () => {
    const good = await backend('eject-good');
    const flakyPort = await freePort();
    await putEndpoint(client, layout, 'eject', 'n1:eject-0:80', flakyPort, { host: 'eject.test' });
    await putEndpoint(client, layout, 'eject', 'n1:eject-1:80', good.port, { host: 'eject.test' });
    await eventually(async () => expect((await get(edge.url, 'eject.test')).status).toBe(200));
    const ejected = async () => {
      const routes = (await (await fetch(`${edge.adminUrl}/routes`)).json()) as {
        backends: { backend: string; ejectedUntil: string | null }[];
      };
      return (
        routes.backends.find((entry) => entry.backend === `127.0.0.1:${flakyPort}`)?.ejectedUntil ?? null
      );
    };
    await eventually(async () => {
      expect((await get(edge.url, 'eject.test')).status).toBe(200);
      expect(await ejected()).not.toBeNull();
    });
    // The backend comes back on the same port; after the ejection time it gets requests again.
    const server = createServer((_req, res) => {
      res.setHeader('x-backend', 'eject-revived');
      res.end('revived');
    });
    await new Promise<void>((resolve) => server.listen(flakyPort, '127.0.0.1', resolve));
    try {
      await eventually(async () => {
        expect((await get(edge.url, 'eject.test')).headers.get('x-backend')).toBe('eject-revived');
      }, 10_000);
      expect(await ejected()).toBeNull();
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('removes hop-by-hop headers both ways and sets X-Forwarded-* (kept only from trusted proxies)', async () => {
    const echo = await backend('headers');
    echo.handler = (req, res) => {
      req.resume();
      res.setHeader('connection', 'keep-alive, x-internal');
      res.setHeader('x-internal', 'secret');
      res.setHeader('keep-alive', 'timeout=5');
      res.end(JSON.stringify(req.headers));
    };
    await putEndpoint(client, layout, 'headers', 'n1:headers:80', echo.port, { host: 'headers.test' });
    const send = (localAddress: string) =>
      new Promise<{ seen: Record<string, string>; headers: Record<string, unknown> }>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port: edge.port,
            localAddress,
            agent: false,
            headers: {
              host: 'headers.test',
              connection: 'keep-alive, x-drop',
              'x-drop': '1',
              'proxy-authorization': 'Basic Zm9vOmJhcg==',
              te: 'trailers',
              'x-forwarded-for': '6.6.6.6',
              'x-forwarded-proto': 'https',
              'x-forwarded-host': 'public.example',
              'x-keep': 'yes',
            },
          },
          (res) => {
            let body = '';
            res.on('data', (chunk) => {
              body += chunk;
            });
            res.on('end', () => resolve({ seen: JSON.parse(body), headers: res.headers }));
          },
        );
        req.on('error', reject);
        req.end();
      });
    await eventually(async () => expect((await get(edge.url, 'headers.test')).status).toBe(200));

    const untrusted = await send('127.0.0.1');
    expect(untrusted.seen).toMatchObject({
      host: 'headers.test',
      'x-keep': 'yes',
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'headers.test',
    });
    for (const dropped of ['x-drop', 'proxy-authorization', 'te'])
      expect(untrusted.seen[dropped]).toBeUndefined();
    expect(String(untrusted.seen.connection ?? '')).not.toMatch(/x-drop/i);
    expect(untrusted.seen['x-request-id']).toBe(untrusted.headers['x-request-id']);
    expect(untrusted.headers['x-internal']).toBeUndefined();
    expect(untrusted.headers['keep-alive']).not.toBe('timeout=5');

    const trusted = await send('127.0.0.2');
    expect(trusted.seen).toMatchObject({
      'x-forwarded-for': '6.6.6.6, 127.0.0.2',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'public.example',
    });
  });

  it('skips malformed values and refused addresses, and keeps every valid key working', async () => {
    const ok = await backend('valid');
    await client.put(`${layout.services}bad/n1:json:80`).value('{not json');
    await client.put(`${layout.services}bad/n1:future:80`).value(JSON.stringify({ v: 2, service: 'bad' }));
    await client.put(`${layout.routes}broken`).value(JSON.stringify({ v: 1, host: 'a b', service: 'x' }));
    await putEndpoint(client, layout, 'meta', 'n1:meta:80', 80, {
      host: 'meta.test',
      address: '169.254.169.254',
    });
    await putEndpoint(client, layout, 'valid', 'n1:valid:80', ok.port, { host: 'valid.test' });
    await eventually(async () => expect((await get(edge.url, 'valid.test')).status).toBe(200));
    expect((await get(edge.url, 'meta.test')).status).toBe(404);
    expect((await fetch(`${edge.adminUrl}/healthz`)).status).toBe(200);
    expect(edge.log).toMatch(/skipping invalid registry value/);
    expect(edge.log).toMatch(/refusing endpoint address/);
  });

  it('is not an open proxy: absolute-form targets and CONNECT are refused, bad Host is 400', async () => {
    const target = await backend('not-for-you');
    await putEndpoint(client, layout, 'known', 'n1:known:80', target.port, { host: 'known.test' });
    await eventually(async () => expect((await get(edge.url, 'known.test')).status).toBe(200));
    const before = target.seen.length;
    const absolute = await raw(
      edge.port,
      `GET http://127.0.0.1:${target.port}/ HTTP/1.1\r\nHost: known.test\r\nConnection: close\r\n\r\n`,
    );
    expect(absolute.text).toMatch(/^HTTP\/1\.1 400 /);
    const connectResponse = await raw(
      edge.port,
      `CONNECT 127.0.0.1:${target.port} HTTP/1.1\r\nHost: 127.0.0.1:${target.port}\r\n\r\n`,
    );
    expect(connectResponse.text).toMatch(/^HTTP\/1\.1 405 /);
    expect(target.seen.length).toBe(before);
    const badHost = await raw(edge.port, 'GET / HTTP/1.1\r\nHost: bad host!\r\nConnection: close\r\n\r\n');
    expect(badHost.text).toMatch(/^HTTP\/1\.1 400 /);
    const noHost = await raw(edge.port, 'GET / HTTP/1.0\r\n\r\n');
    expect(noHost.text).toMatch(/^HTTP\/1\.[01] 400 /);
  });

  it('answers hostile HTTP with the right 4xx or a closed socket and stays up', async () => {
    const huge = await raw(
      edge.port,
      `GET / HTTP/1.1\r\nHost: known.test\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`,
    );
    // Node's parser answers 431; HAProxy's, 400 (its request buffer is full).
    expect(huge.text).toMatch(dataplane === 'builtin' ? /^HTTP\/1\.1 431 / : /^HTTP\/1\.1 400 /);
    const smuggled = await raw(
      edge.port,
      'POST / HTTP/1.1\r\nHost: known.test\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\n\r\n',
    );
    if (dataplane === 'builtin') expect(smuggled.text).toMatch(/^HTTP\/1\.1 400 /);
    else {
      // HAProxy forwards the POST chunked without Content-Length and closes the connection after
      // it: what followed never becomes a request (edge README, "Framing").
      expect(smuggled.text.match(/^HTTP\/1\.1 \d{3}/gm)).toEqual(['HTTP/1.1 200']);
      expect(smuggled.closed).toBe(true);
    }
    const started = Date.now();
    const slowloris = await raw(edge.port, 'GET / HTTP/1.1\r\nHost: known.test\r\nX-Slow: ', 10_000);
    expect(slowloris.closed).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await fetch(`${edge.adminUrl}/healthz`)).status).toBe(200);
    expect((await get(edge.url, 'known.test')).status).toBe(200);
  });

  it('serves /routes and /metrics on the admin listener', async () => {
    const routes = (await (await fetch(`${edge.adminUrl}/routes`)).json()) as {
      revision: number;
      synced: boolean;
      table: { hosts: { host: string }[] };
    };
    expect(routes.synced).toBe(true);
    expect(routes.revision).toBeGreaterThan(0);
    expect(routes.table.hosts.map((host) => host.host)).toContain('rr.test');
    const metrics = await (await fetch(`${edge.adminUrl}/metrics`)).text();
    // HAProxy counts a backend's responses by class; the edge's own answers (404) are exact.
    expect(metrics).toMatch(/wharf_edge_requests_total\{route="rr\.test\/",status="(200|2xx)"\} \d+/);
    expect(metrics).toMatch(/wharf_edge_requests_total\{route="-",status="404"\} \d+/);
    if (dataplane === 'builtin') expect(metrics).toMatch(/wharf_edge_upstream_latency_seconds_count \d+/);
    expect(metrics).toMatch(/wharf_edge_route_endpoints\{route="rr\.test\/",state="serving"\} 2/);
    expect(metrics).toMatch(/wharf_edge_etcd_revision \d+/);
    expect(metrics).toMatch(/wharf_edge_sync_age_seconds 0/);
    expect(metrics).toMatch(/wharf_edge_watch_reconnects_total 0/);
  });
});
