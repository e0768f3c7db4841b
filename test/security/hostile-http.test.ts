import { KeyLayout } from '@wharf/core';
import type { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, putEndpoint, TestBackend } from '../edge/support/backends.js';
import { EdgeProcess } from '../edge/support/edge-process.js';
import { DATA_PLANES } from '../support/data-planes.js';
import { type EtcdServer, useEtcd } from '../support/etcd-server.js';
import { Canary, rawExchange } from '../support/raw-http.js';
import { eventually } from '../support/wait.js';

/** A status line with one of these codes, or (when `closed` is allowed) a connection closed without an answer. */
interface Expected {
  readonly statuses: readonly number[];
  readonly closedAllowed?: boolean;
  /**
   * HAProxy repairs this framing instead of refusing it (edge README, "Framing"): one clean
   * request reaches the backend, nothing smuggled or injected, and nothing after it is read.
   */
  readonly haproxyRepairs?: boolean;
}

function verdict(text: string, closed: boolean, expected: Expected): string | undefined {
  const status = /^HTTP\/1\.[01] (\d{3}) /.exec(text)?.[1];
  if (status !== undefined && expected.statuses.includes(Number(status))) return undefined;
  if (status === undefined && text === '' && closed && expected.closedAllowed) return undefined;
  return `got ${status ?? (closed ? 'a closed socket' : 'no answer')}: ${JSON.stringify(text.slice(0, 120))}`;
}

// One etcd for the file; each plane has its own edge, backend, canary and key prefix.
let etcd: EtcdServer;
let client: Etcd3;
useEtcd((started) => {
  ({ etcd, client } = started);
});

describe.each(
  DATA_PLANES,
)('hostile HTTP against a real edge on the %s plane, with a canary that must never be reached', (dataplane) => {
  const prefix = `/wharf-http-${process.pid}-${dataplane}`;
  const layout = new KeyLayout(prefix);
  let edge: EdgeProcess;
  let backend: TestBackend;
  let canary: Canary;
  let c: number;

  beforeAll(async () => {
    backend = await TestBackend.start('known');
    canary = await Canary.start();
    c = canary.port;
    await putEndpoint(client, layout, 'known', 'n1:known:80', backend.port, { host: 'known.test' });
    edge = await EdgeProcess.start({
      dataplane,
      etcd: etcd.endpoint,
      prefix,
      env: { WHARF_HEADERS_TIMEOUT: '2s' },
    });
    await eventually(async () => expect((await get(edge.url, 'known.test')).status).toBe(200));
  });
  afterAll(async () => {
    await edge?.kill();
    await backend?.close();
    await canary?.close();
  });

  const cases: [string, () => string | string[], Expected][] = [
    [
      'absolute-form URI at the canary, routed Host',
      () => `GET http://127.0.0.1:${c}/ HTTP/1.1\r\nHost: known.test\r\n\r\n`,
      { statuses: [400] },
    ],
    [
      'absolute-form URI at the canary, canary Host',
      () => `GET http://127.0.0.1:${c}/ HTTP/1.1\r\nHost: 127.0.0.1:${c}\r\n\r\n`,
      { statuses: [400] },
    ],
    [
      'absolute-form URI with userinfo',
      () => `GET http://known.test@127.0.0.1:${c}/ HTTP/1.1\r\nHost: known.test\r\n\r\n`,
      { statuses: [400] },
    ],
    [
      'CONNECT to the canary',
      () => `CONNECT 127.0.0.1:${c} HTTP/1.1\r\nHost: 127.0.0.1:${c}\r\n\r\n`,
      { statuses: [400, 405], closedAllowed: true },
    ],
    ['Host naming the canary', () => `GET / HTTP/1.1\r\nHost: 127.0.0.1:${c}\r\n\r\n`, { statuses: [404] }],
    [
      'Host with userinfo',
      () => `GET / HTTP/1.1\r\nHost: known.test@127.0.0.1:${c}\r\n\r\n`,
      { statuses: [400, 404] },
    ],
    ['missing Host (HTTP/1.1)', () => 'GET / HTTP/1.1\r\n\r\n', { statuses: [400] }],
    ['empty Host', () => 'GET / HTTP/1.1\r\nHost: \r\n\r\n', { statuses: [400] }],
    [
      'two Host headers',
      () => `GET / HTTP/1.1\r\nHost: known.test\r\nHost: 127.0.0.1:${c}\r\n\r\n`,
      { statuses: [400], closedAllowed: true },
    ],
    ['Host with spaces and bangs', () => 'GET / HTTP/1.1\r\nHost: bad host!\r\n\r\n', { statuses: [400] }],
    ['Host with a bad port', () => 'GET / HTTP/1.1\r\nHost: known.test:99999x\r\n\r\n', { statuses: [400] }],
    [
      'oversized header (64 KiB)',
      () => `GET / HTTP/1.1\r\nHost: known.test\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`,
      { statuses: [431, 400], closedAllowed: true },
    ],
    [
      'CL.TE smuggling',
      () =>
        `POST / HTTP/1.1\r\nHost: known.test\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: 127.0.0.1:${c}\r\n\r\n`,
      { statuses: [400], closedAllowed: true, haproxyRepairs: true },
    ],
    [
      'TE.CL smuggling',
      () =>
        `POST / HTTP/1.1\r\nHost: known.test\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n1\r\nx\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: known.test\r\n\r\n`,
      { statuses: [400], closedAllowed: true, haproxyRepairs: true },
    ],
    [
      'obfuscated Transfer-Encoding',
      () =>
        'POST / HTTP/1.1\r\nHost: known.test\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: known.test\r\n\r\n',
      { statuses: [400, 501], closedAllowed: true },
    ],
    [
      'Transfer-Encoding with a space before the colon',
      () =>
        'POST / HTTP/1.1\r\nHost: known.test\r\nTransfer-Encoding : chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: known.test\r\n\r\n',
      { statuses: [400], closedAllowed: true },
    ],
    [
      'two different Content-Lengths',
      () =>
        'POST / HTTP/1.1\r\nHost: known.test\r\nContent-Length: 0\r\nContent-Length: 44\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: known.test\r\n\r\n',
      { statuses: [400], closedAllowed: true },
    ],
    [
      'bare CR in a header value (header injection)',
      () => 'GET / HTTP/1.1\r\nHost: known.test\r\nX-A: a\rX-Injected: 1\r\n\r\n',
      { statuses: [400], closedAllowed: true },
    ],
    [
      'obsolete line folding',
      () => 'GET / HTTP/1.1\r\nHost: known.test\r\nX-A: a\r\n X-Injected: 1\r\n\r\n',
      { statuses: [400], closedAllowed: true, haproxyRepairs: true },
    ],
    [
      'NUL in a header value',
      () => 'GET / HTTP/1.1\r\nHost: known.test\r\nX-A: a\u0000b\r\n\r\n',
      { statuses: [400], closedAllowed: true },
    ],
    [
      'space in the request target',
      () => 'GET /a b HTTP/1.1\r\nHost: known.test\r\n\r\n',
      { statuses: [400] },
    ],
    // No Host (400) and a version the edge does not speak (505): either is the right answer.
    ['HTTP/0.9 request', () => 'GET /\r\n\r\n', { statuses: [400, 505], closedAllowed: true }],
    ['unknown HTTP version', () => 'GET / HTTP/9.9\r\nHost: known.test\r\n\r\n', { statuses: [400, 505] }],
    [
      'garbage',
      () => '\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003',
      { statuses: [400], closedAllowed: true },
    ],
  ];

  it.each(cases)('%s → a 4xx or a closed socket, never the canary', async (_name, payload, expected) => {
    const seenBefore = backend.seen.length;
    const { text, closed } = await rawExchange(edge.port, payload(), { timeoutMs: 4_000, settleMs: 30 });
    if (dataplane === 'haproxy' && expected.haproxyRepairs) {
      expect(text.match(/HTTP\/1\.1 \d{3}/g)).toEqual(['HTTP/1.1 200']);
      const reached = backend.seen.slice(seenBefore);
      expect(reached.map((request) => request.url)).toEqual(['/']);
      expect(reached[0]?.headers['x-injected']).toBeUndefined();
      expect(canary.connections).toBe(0);
      return;
    }
    expect(verdict(text, closed, expected)).toBeUndefined();
    expect(canary.connections).toBe(0);
    // A refused request reaches no backend either.
    expect(backend.seen.slice(seenBefore)).toEqual([]);
  });

  it('closes a slowloris connection at the headers timeout', async () => {
    const trickle = [
      'GET / HTTP/1.1\r\n',
      'Host: known.test\r\n',
      ...Array.from({ length: 40 }, (_, i) => `X-${i}: a\r\n`),
    ];
    const { closed, elapsedMs, text } = await rawExchange(edge.port, trickle, {
      timeoutMs: 15_000,
      gapMs: 250,
    });
    expect(closed).toBe(true);
    expect(text === '' || /^HTTP\/1\.1 408 /.test(text)).toBe(true);
    expect(elapsedMs).toBeLessThan(5_000);
  });

  it('forwards path and forwarded-header tricks only to the registered backend', async () => {
    const seenBefore = backend.seen.length;
    for (const payload of [
      `GET //127.0.0.1:${c}/ HTTP/1.1\r\nHost: known.test\r\nConnection: close\r\n\r\n`,
      `GET / HTTP/1.1\r\nHost: known.test\r\nX-Forwarded-Host: 127.0.0.1:${c}\r\nConnection: close\r\n\r\n`,
      `GET / HTTP/1.1\r\nHost: KNOWN.test.:80\r\nConnection: close\r\n\r\n`,
      `GET /@127.0.0.1:${c}/ HTTP/1.1\r\nHost: known.test\r\nConnection: close\r\n\r\n`,
    ]) {
      const { text } = await rawExchange(edge.port, payload, { settleMs: 30 });
      expect(text).toMatch(/^HTTP\/1\.1 200 /);
      expect(text).toContain('x-backend: known');
    }
    expect(backend.seen.length - seenBefore).toBe(4);
    // Client-sent X-Forwarded-Host is not trusted from an untrusted peer.
    expect(backend.seen.at(-3)?.headers['x-forwarded-host']).toBe('known.test');
    expect(canary.connections).toBe(0);
  });

  it('is still healthy and serving after all of it', async () => {
    expect(edge.child.exitCode).toBeNull();
    expect((await fetch(`${edge.adminUrl}/healthz`)).status).toBe(200);
    expect((await get(edge.url, 'known.test')).status).toBe(200);
    expect(canary.connections).toBe(0);
    expect(backend.seen.some((request) => request.url.includes('smuggled'))).toBe(false);
  });
});
