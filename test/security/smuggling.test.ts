import { createEtcdClient, KeyLayout } from '@wharf/core';
import type { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { get, putEndpoint, TestBackend } from '../edge/support/backends.js';
import { EdgeProcess } from '../edge/support/edge-process.js';
import { DATA_PLANES, dataPlaneEnv } from '../support/data-planes.js';
import { EtcdServer } from '../support/etcd-server.js';
import { rawExchange } from '../support/raw-http.js';
import { RecordingBackend } from '../support/recording-backend.js';
import { eventually } from '../support/wait.js';

// Regression tests for the framing defects third-party tools found (smuggler.py, http-garden,
// h2csmuggler, a hop-by-hop abuse scan): each sends the raw bytes through a real edge to a
// backend that keeps every byte it receives and parses them as a backend would.

const layout = new KeyLayout(`/wharf-smuggling-${process.pid}`);

const statusOf = (text: string) => Number(/^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1] ?? 0);

describe.each(DATA_PLANES)('request smuggling and framing through a real edge (%s plane)', (plane) => {
  let etcd: EtcdServer;
  let client: Etcd3;
  let edge: EdgeProcess;
  let recorder: RecordingBackend;
  let other: RecordingBackend;
  let websocket: TestBackend;

  beforeAll(async () => {
    etcd = await EtcdServer.start();
    client = createEtcdClient({ endpoints: [etcd.endpoint] });
    recorder = await RecordingBackend.start();
    other = await RecordingBackend.start();
    websocket = await TestBackend.start('ws');
    await putEndpoint(client, layout, 'api', 'n1:api:80', recorder.port, { host: 'api.test' });
    await putEndpoint(client, layout, 'ws', 'n1:ws:80', websocket.port, { host: 'ws.test' });
    edge = await EdgeProcess.start({
      etcd: etcd.endpoint,
      prefix: layout.prefix,
      env: { ...dataPlaneEnv(plane), WHARF_UPSTREAM_TIMEOUT: '3s', WHARF_EJECTION_TIME: '100ms' },
    });
    await eventually(async () => expect((await get(edge.url, 'api.test')).status).toBe(200));
  });
  beforeEach(() => {
    recorder.reset();
    other.reset();
  });
  afterAll(async () => {
    await edge?.kill();
    await recorder?.close();
    await other?.close();
    await websocket?.close();
    client?.close();
    await etcd?.close();
  });

  it('Connection: content-length cannot unframe a body into a second request (smuggler.py, high)', async () => {
    const smuggled = 'GET /smuggled HTTP/1.1\r\nHost: internal.admin\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n';
    expect(smuggled.length).toBe(74);
    const { text } = await rawExchange(
      edge.port,
      `GET /first HTTP/1.1\r\nHost: api.test\r\nConnection: content-length\r\nContent-Length: 74\r\n\r\n${smuggled}`,
    );
    expect(statusOf(text)).toBe(200);
    // A victim on another connection right after: it must get its own answer, not the smuggled one.
    const victim = await get(edge.url, 'api.test', '/victim', { headers: { cookie: 'session=victim' } });
    expect(victim.body).toBe('recorded GET /victim\n');

    expect(recorder.requests.map((request) => request.url)).toEqual(['/first', '/victim']);
    const first = recorder.requests[0]!;
    expect(first.headers['content-length']).toBe('74');
    expect(first.body).toBe(smuggled);
    expect(first.headers.host).toBe('api.test');
    expect(first.headers['x-forwarded-for']).toBe('127.0.0.1');
  });

  it('Connection: transfer-encoding cannot unframe a chunked body', async () => {
    const { text } = await rawExchange(
      edge.port,
      'DELETE /first HTTP/1.1\r\nHost: api.test\r\nConnection: transfer-encoding, close\r\nTransfer-Encoding: chunked\r\n\r\n' +
        '26\r\nGET /smuggled HTTP/1.1\r\nHost: evil\r\n\r\n\r\n0\r\n\r\n',
    );
    expect(statusOf(text)).toBe(200);
    expect(recorder.requests.map((request) => request.url)).toEqual(['/first']);
    expect(recorder.requests[0]!.body).toBe('GET /smuggled HTTP/1.1\r\nHost: evil\r\n\r\n');
  });

  it('Connection: host does not remove Host', async () => {
    const { text } = await rawExchange(
      edge.port,
      'GET /h HTTP/1.1\r\nHost: api.test\r\nConnection: host, close\r\n\r\n',
    );
    expect(statusOf(text)).toBe(200);
    expect(recorder.requests[0]!.headers.host).toBe('api.test');
    expect(recorder.requests[0]!.rawHeaders.filter((name) => name.toLowerCase() === 'host')).toHaveLength(1);
  });

  it('Connection: Upgrade, Host keeps the client Host on the WebSocket path', async () => {
    const seen = websocket.seen.length;
    const { text } = await rawExchange(
      edge.port,
      'GET /socket HTTP/1.1\r\nHost: ws.test\r\nConnection: Upgrade, Host\r\nUpgrade: websocket\r\n' +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      { quietMs: 200 },
    );
    expect(statusOf(text)).toBe(101);
    expect(websocket.seen.slice(seen).map((request) => request.headers.host)).toEqual(['ws.test']);
  });

  it('a 101 the request did not ask for is a 502 at once, and the backend counts as failing', async () => {
    recorder.rawResponse = 'HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: foo\r\n\r\n';
    const { text, elapsedMs } = await rawExchange(
      edge.port,
      'GET /no-upgrade HTTP/1.1\r\nHost: api.test\r\nConnection: close\r\n\r\n',
      { timeoutMs: 6_000 },
    );
    expect(statusOf(text)).toBe(502);
    // HAProxy does not say which invalid response it got.
    expect(text).toContain(
      plane === 'builtin' ? 'invalid response: 101 Switching Protocols' : 'sent an invalid response',
    );
    expect(elapsedMs).toBeLessThan(2_000);
    const routes = (await (await fetch(`${edge.adminUrl}/routes`)).json()) as {
      backends: { backend: string; active: number; consecutiveFailures: number }[];
    };
    const backend = routes.backends.find((entry) => entry.backend === `127.0.0.1:${recorder.port}`);
    expect(backend).toMatchObject({ active: 0 });
    // HAProxy's passive health counts connection failures only (observe layer4).
    if (plane === 'builtin') expect(backend!.consecutiveFailures).toBeGreaterThan(0);
    const metrics = await (await fetch(`${edge.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/wharf_edge_upstream_failures_total\{kind="invalid_response"\} [1-9]/);
    expect(metrics).not.toMatch(/route="api\.test\/",status="101"/);
  });

  it('two Content-Lengths from the backend: a 502 that says so, not retried elsewhere', async () => {
    await putEndpoint(client, layout, 'api', 'n1:api-2:80', other.port, { host: 'api.test' });
    try {
      await eventually(async () => {
        const body = (await get(edge.url, 'api.test', '/spread')).body;
        expect(other.requests.length).toBeGreaterThan(0);
        return body;
      });
      recorder.reset();
      other.reset();
      recorder.rawResponse = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok!';
      other.rawResponse = recorder.rawResponse;
      const { text } = await rawExchange(
        edge.port,
        'GET /dup HTTP/1.1\r\nHost: api.test\r\nConnection: close\r\n\r\n',
      );
      expect(statusOf(text)).toBe(502);
      expect(text).toMatch(
        plane === 'builtin' ? /sent an invalid response: .*Content-Length/i : /sent an invalid response/,
      );
      expect(text).not.toContain('accepted the connection');
      expect(recorder.requests.length + other.requests.length).toBe(1);
    } finally {
      await client.delete().key(layout.endpointKey('api', 'n1:api-2:80'));
      // The next tests expect every request on the recorder: wait until the edge has let go of the
      // second endpoint (the HAProxy plane applies the removal through its Runtime API, a moment later).
      await eventually(async () => {
        const routes = (await (await fetch(`${edge.adminUrl}/routes`)).json()) as {
          backends: { backend: string }[];
        };
        expect(routes.backends.map((entry) => entry.backend)).not.toContain(`127.0.0.1:${other.port}`);
      });
    }
  });

  it.each([
    [
      'h2c (curl --http2 on cleartext)',
      'GET /h2c HTTP/1.1\r\nHost: api.test\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n',
      '',
    ],
    [
      'an unknown protocol',
      'GET /foo HTTP/1.1\r\nHost: api.test\r\nConnection: upgrade\r\nUpgrade: foo\r\n\r\n',
      '',
    ],
    [
      'websocket on a POST with a body',
      'POST /post HTTP/1.1\r\nHost: api.test\r\nConnection: upgrade\r\nUpgrade: websocket\r\nContent-Length: 5\r\n\r\nhello',
      'hello',
    ],
  ])('an upgrade the edge does not proxy (%s) is forwarded as an ordinary request', async (_name, payload, body) => {
    const { text } = await rawExchange(
      edge.port,
      [payload, 'GET /after HTTP/1.1\r\nHost: api.test\r\n\r\n'],
      {
        gapMs: 100,
      },
    );
    expect(text.match(/HTTP\/1\.1 \d{3}/g)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 200']);
    // The recorder notes a request when its body has ended, which may be after its answer left.
    await eventually(() => expect(recorder.requests[1]?.url).toBe('/after'), 2_000);
    const [first] = recorder.requests;
    expect(first?.body).toBe(body);
    expect(first?.headers.upgrade).toBeUndefined();
    expect(first?.headers['http2-settings']).toBeUndefined();
    expect(String(first?.headers.connection ?? '')).not.toMatch(/upgrade/i);
  });

  it('never opens an h2c tunnel (h2csmuggler): the HTTP/2 preface after an h2c upgrade is refused', async () => {
    const { text } = await rawExchange(
      edge.port,
      [
        'GET /h2c HTTP/1.1\r\nHost: api.test\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n',
        'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\u0000\u0000\u0012\u0004\u0000\u0000\u0000\u0000\u0000',
      ],
      { gapMs: 100 },
    );
    expect(statusOf(text)).toBe(200);
    expect(text).not.toContain('101');
    expect(recorder.requests.map((request) => request.url)).toEqual(['/h2c']);
    expect(recorder.connections.join('')).not.toContain('PRI * HTTP/2.0');
  });

  it.each([
    ',chunked',
    'chunked, chunked',
    'gzip, chunked',
    'chunked ,',
  ])('Transfer-Encoding: %s is refused before any backend sees it', async (value) => {
    const { text, closed } = await rawExchange(
      edge.port,
      `POST /te HTTP/1.1\r\nHost: api.test\r\nTransfer-Encoding: ${value}\r\n\r\n0\r\n\r\n`,
    );
    // 501 from the edge's check; HAProxy's own parser answers some of these 422 itself.
    expect(plane === 'builtin' ? [400, 501] : [400, 422, 501]).toContain(statusOf(text));
    expect(closed).toBe(true);
    expect(recorder.requests).toEqual([]);
  });

  // Found by the request fuzz (hostile-corpus.test.ts): Node's parser takes these request lines
  // with HTTP/1.1 framing, and the edge forwarded them as HTTP/1.1. A peer in front may read
  // them otherwise (HTTP/0.9 has no headers). 505 and 400 are both right answers.
  it.each([
    'HTTP/0.9',
    'HTTP/2.0',
  ])('a request line with %s is refused before any backend sees it', async (version) => {
    const smuggled = 'GET /smuggled HTTP/1.1\r\nHost: internal.admin\r\n\r\n';
    const { text, closed } = await rawExchange(
      edge.port,
      `GET /version ${version}\r\nHost: api.test\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}`,
    );
    // HAProxy's own parser refuses an HTTP/0.9 line with a body as 413.
    expect(plane === 'builtin' ? [400, 505] : [400, 413, 505]).toContain(statusOf(text));
    expect(closed).toBe(true);
    expect(recorder.requests).toEqual([]);
  });

  // Found by the request fuzz: a WebSocket handshake is forwarded head first and its body, if
  // any, as tunnel bytes, so a body on one escaped the framing checks (Transfer-Encoding
  // `xchunked, chunked` reached the backend). A handshake has no body; a request with one is an
  // ordinary request, its Upgrade stripped.
  it('a WebSocket handshake that carries a body is an ordinary request, its body framed', async () => {
    const { text } = await rawExchange(
      edge.port,
      'GET /handshake-body HTTP/1.1\r\nHost: api.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nContent-Length: 5\r\n\r\nhello',
    );
    expect(statusOf(text)).toBe(200);
    expect(recorder.tunnels).toEqual([]);
    expect(recorder.requests).toHaveLength(1);
    expect(recorder.requests[0]!.body).toBe('hello');
    expect(recorder.requests[0]!.headers.upgrade).toBeUndefined();
  });

  it('a WebSocket handshake with Transfer-Encoding other than chunked is refused like any request', async () => {
    const { text, closed } = await rawExchange(
      edge.port,
      'GET /handshake-te HTTP/1.1\r\nHost: api.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nTransfer-Encoding: xchunked\r\n' +
        'Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    );
    // 501 from the edge's check; HAProxy's own parser answers this one 422 itself.
    expect(plane === 'builtin' ? [400, 501] : [400, 422, 501]).toContain(statusOf(text));
    expect(closed).toBe(true);
    expect(recorder.tunnels).toEqual([]);
    expect(recorder.requests).toEqual([]);
  });

  it('is still up and routing', async () => {
    expect(edge.child.exitCode).toBeNull();
    expect((await get(edge.url, 'api.test', '/last')).status).toBe(200);
  });
});
