import { createEtcdClient, KeyLayout } from '@wharf/core';
import type { AccessLogEntry } from '@wharf/edge';
import type { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { DATA_PLANES, dataPlaneEnv } from '../support/data-planes.js';
import { EtcdServer } from '../support/etcd-server.js';
import { freePort } from '../support/ports.js';
import { rawExchange } from '../support/raw-http.js';
import { eventually } from '../support/wait.js';
import { get, putEndpoint, TestBackend } from './support/backends.js';
import { EdgeProcess } from './support/edge-process.js';

/** The access log lines the edge printed (JSON with a request id; program logs have a level). */
function accessLines(log: string): AccessLogEntry[] {
  const entries: AccessLogEntry[] = [];
  for (const line of log.split('\n')) {
    if (!line.startsWith('{') || !line.includes('"requestId"') || line.includes('"level"')) continue;
    entries.push(JSON.parse(line) as AccessLogEntry);
  }
  return entries;
}

describe.each(DATA_PLANES)('the access log (WHARF_ACCESS_LOG=stdout, %s)', (dataplane) => {
  const layout = new KeyLayout(`/wharf-edge-access-${dataplane}-${process.pid}`);
  let etcd: EtcdServer;
  let client: Etcd3;
  let edge: EdgeProcess;
  let ok: TestBackend;

  const entryFor = (requestId: string) =>
    eventually(() => {
      const entry = accessLines(edge.log).find((line) => line.requestId === requestId);
      expect(entry).toBeDefined();
      return entry!;
    });

  beforeAll(async () => {
    etcd = await EtcdServer.start();
    client = createEtcdClient({ endpoints: [etcd.endpoint] });
    ok = await TestBackend.start('log-ok');
    await putEndpoint(client, layout, 'log', 'n1:log-ok:80', ok.port, { host: 'log.test' });
    // Refuses connections and is tried first (weight): each request through it is retried.
    await putEndpoint(client, layout, 'retry', 'n1:retry-dead:80', await freePort(), {
      host: 'retry.test',
      weight: 100,
    });
    await putEndpoint(client, layout, 'retry', 'n1:retry-ok:80', ok.port, { host: 'retry.test' });
    await client
      .put(layout.routeKey('empty'))
      .value(JSON.stringify({ v: 1, host: 'empty.test', pathPrefix: '/', service: 'nothing' }));
    edge = await EdgeProcess.start({
      etcd: etcd.endpoint,
      prefix: layout.prefix,
      env: { ...dataPlaneEnv(dataplane), WHARF_ACCESS_LOG: 'stdout' },
    });
    await eventually(async () => expect((await get(edge.url, 'log.test')).status).toBe(200));
  });
  afterAll(async () => {
    await edge?.kill();
    await ok?.close();
    client?.close();
    await etcd?.close();
  });

  it('writes one line per proxied request with the endpoint, retries and request id', async () => {
    const response = await get(edge.url, 'LOG.test:8080', '/hello?x=1');
    const requestId = response.headers.get('x-request-id')!;
    const entry = await entryFor(requestId);
    expect(entry).toEqual({
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      client: '127.0.0.1',
      method: 'GET',
      host: 'log.test',
      path: '/hello?x=1',
      status: 200,
      bytes: Buffer.byteLength(response.body),
      durationMs: expect.any(Number),
      endpoint: 'n1:log-ok:80',
      retries: 0,
      requestId,
    });
    expect(accessLines(edge.log).filter((line) => line.requestId === requestId)).toHaveLength(1);
  });

  it('counts the endpoints tried before the one that answered', async () => {
    const response = await get(edge.url, 'retry.test', '/again');
    expect(response.status).toBe(200);
    expect(await entryFor(response.headers.get('x-request-id')!)).toMatchObject({
      status: 200,
      endpoint: 'n1:retry-ok:80',
      retries: 1,
    });
  });

  it('logs what the edge answers itself: 404, 503 (with Retry-After) and a refused request', async () => {
    const unknown = await get(edge.url, 'nowhere.test', '/x');
    expect(await entryFor(unknown.headers.get('x-request-id')!)).toMatchObject({
      host: 'nowhere.test',
      status: 404,
      bytes: Buffer.byteLength(unknown.body),
      endpoint: null,
      retries: 0,
    });
    const empty = await get(edge.url, 'empty.test');
    expect(empty.status).toBe(503);
    expect(empty.headers.get('retry-after')).toBe('5');
    expect(await entryFor(empty.headers.get('x-request-id')!)).toMatchObject({ status: 503, endpoint: null });

    const { text } = await rawExchange(edge.port, 'GET / HTTP/1.1\r\nHost: log.test\r\nX-A: a\rb\r\n\r\n');
    expect(text).toMatch(/^HTTP\/1\.1 400 /);
    if (dataplane === 'haproxy') {
      // HAProxy's parser refuses this before any rule runs, with its own page: no request id;
      // the line is logged all the same (edge README, "Access log").
      await eventually(() =>
        expect(accessLines(edge.log).some((line) => line.status === 400 && line.method === '<BADREQ>')).toBe(
          true,
        ),
      );
      return;
    }
    const requestId = /x-request-id: (\S+)/.exec(text)?.[1];
    expect(requestId).toBeDefined();
    expect(await entryFor(requestId!)).toMatchObject({ status: 400, endpoint: null });
  });

  it('logs a WebSocket once it closes, with status 101', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${edge.port}/chat`, { headers: { host: 'log.test' } });
    let requestId = '';
    socket.once('upgrade', (res) => {
      requestId = String(res.headers['x-request-id'] ?? '');
    });
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    expect(requestId).not.toBe('');
    const echoed = new Promise((resolve) => socket.once('message', resolve));
    socket.send('hi');
    await echoed;
    socket.close();
    const entry = await entryFor(requestId);
    expect(entry).toMatchObject({ status: 101, endpoint: 'n1:log-ok:80', path: '/chat' });
    expect(entry.bytes).toBeGreaterThan(0);
  });
});
