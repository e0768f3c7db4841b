import { createEtcdClient, KeyLayout } from '@wharf/core';
import { Edge, loadEdgeConfig } from '@wharf/edge';
import { type Etcd3, Etcd3 as Etcd3Client } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { WebSocket } from 'ws';
import { DATA_PLANES } from '../support/data-planes.js';
import { EtcdServer } from '../support/etcd-server.js';
import { freePort } from '../support/ports.js';
import { eventually } from '../support/wait.js';
import { interceptWatches } from '../support/watch-interceptor.js';
import { get, putEndpoint, TestBackend } from './support/backends.js';
import { EdgeProcess } from './support/edge-process.js';

function openSocket(url: string, host: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers: { host } });
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
    socket.once('unexpected-response', (_req, res) => reject(new Error(`unexpected ${res.statusCode}`)));
  });
}

function echo(socket: WebSocket, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    socket.once('message', (data) => resolve(data.toString()));
    socket.once('error', reject);
    socket.send(text);
  });
}

describe.each(DATA_PLANES)('wharf-edge on the %s plane under etcd faults and live changes', (dataplane) => {
  const layout = new KeyLayout(`/wharf-edge-resilience-${process.pid}-${dataplane}`);
  let etcd: EtcdServer;
  let client: Etcd3;
  let edge: EdgeProcess;
  const backends: TestBackend[] = [];
  const backend = async (name: string) => {
    const started = await TestBackend.start(name);
    backends.push(started);
    return started;
  };

  beforeAll(async () => {
    etcd = await EtcdServer.start();
    client = createEtcdClient({ endpoints: [etcd.endpoint] });
    edge = await EdgeProcess.start({ dataplane, etcd: etcd.endpoint, prefix: layout.prefix });
  });
  afterAll(async () => {
    await edge?.kill();
    for (const started of backends) await started.close();
    client?.close();
    await etcd?.close();
  });

  it('keeps an open WebSocket through unrelated and related route changes', async () => {
    const a = await backend('ws-a');
    const b = await backend('ws-b');
    await putEndpoint(client, layout, 'ws', 'n1:ws-a:80', a.port, { host: 'ws.test' });
    await eventually(async () => expect((await get(edge.url, 'ws.test')).status).toBe(200));
    const socket = await openSocket(`ws://127.0.0.1:${edge.port}/chat`, 'ws.test');
    try {
      expect(await echo(socket, 'one')).toBe('ws-a: one');
      // An unrelated host appears and a second endpoint joins this route: both rebuild tables.
      await putEndpoint(client, layout, 'other', 'n1:other:80', b.port, { host: 'other.test' });
      await putEndpoint(client, layout, 'ws', 'n1:ws-b:80', b.port, { host: 'ws.test' });
      await eventually(async () => expect((await get(edge.url, 'other.test')).status).toBe(200));
      await eventually(async () => {
        const seen = new Set<string>();
        for (let i = 0; i < 4; i++) seen.add((await get(edge.url, 'ws.test')).headers.get('x-backend') ?? '');
        expect(seen).toEqual(new Set(['ws-a', 'ws-b']));
      });
      expect(await echo(socket, 'two')).toBe('ws-a: two');
      expect(socket.readyState).toBe(WebSocket.OPEN);
      const unknown = openSocket(`ws://127.0.0.1:${edge.port}/chat`, 'nowhere.test');
      await expect(unknown).rejects.toThrow(/unexpected 404/);
    } finally {
      socket.terminate();
    }
  });

  it('serves from the last table while etcd is down and applies changes after it returns', async () => {
    const a = await backend('down-a');
    const b = await backend('down-b');
    await putEndpoint(client, layout, 'down', 'n1:down-a:80', a.port, { host: 'down.test' });
    await eventually(async () => expect((await get(edge.url, 'down.test')).status).toBe(200));
    await etcd.stop();
    try {
      await eventually(async () => {
        const metrics = await (await fetch(`${edge.adminUrl}/metrics`)).text();
        expect(metrics).toMatch(/wharf_edge_watch_reconnects_total [1-9]/);
      }, 20_000);
      for (let i = 0; i < 20; i++) expect((await get(edge.url, 'down.test')).status).toBe(200);
      expect((await fetch(`${edge.adminUrl}/readyz`)).status).toBe(200);
    } finally {
      await etcd.start();
    }
    await putEndpoint(client, layout, 'down', 'n1:down-b:80', b.port, { host: 'down.test' });
    await eventually(async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 4; i++) seen.add((await get(edge.url, 'down.test')).headers.get('x-backend') ?? '');
      expect(seen).toEqual(new Set(['down-a', 'down-b']));
    }, 20_000);
  });
});

describe('wharf-edge re-lists after compaction (in-process, watch held back)', () => {
  it('picks up a change whose watch revision was compacted away', async () => {
    const etcd = await EtcdServer.start();
    const client = createEtcdClient({ endpoints: [etcd.endpoint] });
    const target = await TestBackend.start('compacted');
    const compactLayout = new KeyLayout(`/wharf-edge-compact-${process.pid}`);
    // Hold the first watch back until the revision it starts from has been compacted.
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let watches = 0;
    const delayed = interceptWatches(client, async (attempt, create) => {
      watches = attempt;
      if (attempt === 1) await held;
      return create();
    });
    const listenPort = await freePort();
    const config = loadEdgeConfig({
      WHARF_ETCD: etcd.endpoint,
      WHARF_PREFIX: compactLayout.prefix,
      WHARF_LISTEN: `127.0.0.1:${listenPort}`,
      WHARF_TLS_LISTEN: 'off',
      WHARF_ADMIN_LISTEN: '127.0.0.1:0',
    });
    const edge = new Edge({ config, client: delayed });
    const controller = new AbortController();
    const running = edge.run(controller.signal);
    try {
      await eventually(() => expect(watches).toBe(1));
      await putEndpoint(client, compactLayout, 'late', 'n1:late:80', target.port, { host: 'late.test' });
      const { header } = await client.put('/unrelated').value('x').exec();
      await (client as unknown as { kv: { compact(req: object): Promise<unknown> } }).kv.compact({
        revision: header.revision,
        physical: true,
      });
      release();
      const url = `http://127.0.0.1:${listenPort}`;
      await eventually(async () => expect((await get(url, 'late.test')).body).toBe('compacted /'));
      expect(edge.watcher.restarts).toBeGreaterThan(0);
    } finally {
      release();
      controller.abort();
      await running;
      await target.close();
      client.close();
      await etcd.close();
    }
  });
});

describe('wharf-edge with etcd authentication', () => {
  it('re-authenticates after its token expired and etcd restarted', async () => {
    let authEnabled = false;
    const etcd = await EtcdServer.start({
      args: ['--auth-token=simple', '--auth-token-ttl=1'],
      // Once auth is on, the readiness probe after a restart must log in too.
      probe: (endpoint) =>
        new Etcd3Client({
          hosts: endpoint,
          dialTimeout: 500,
          ...(authEnabled ? { auth: { username: 'root', password: 'root-secret' } } : {}),
        }),
    });
    const admin = createEtcdClient({ endpoints: [etcd.endpoint] });
    const authLayout = new KeyLayout(`/wharf-edge-auth-${process.pid}`);
    const a = await TestBackend.start('auth-a');
    const b = await TestBackend.start('auth-b');
    let edge: EdgeProcess | undefined;
    const began = Date.now();
    const steps: string[] = [];
    const step = (name: string) => steps.push(`${Date.now() - began} ms: ${name}`);
    onTestFailed(() => {
      console.error(`steps:\n${steps.join('\n')}\nedge log:\n${edge?.log ?? '(not started)'}`);
    });
    let client: Etcd3 | undefined;
    try {
      step('auth setup');
      await admin.role('root').create();
      await admin.user('root').create('root-secret');
      await admin.user('root').addRole('root');
      await admin.auth.authEnable();
      authEnabled = true;
      client = createEtcdClient({ endpoints: [etcd.endpoint], username: 'root', password: 'root-secret' });
      await putEndpoint(client, authLayout, 'auth', 'n1:auth-a:80', a.port, { host: 'auth.test' });
      step('edge start');
      edge = await EdgeProcess.start({
        etcd: etcd.endpoint,
        prefix: authLayout.prefix,
        env: { WHARF_ETCD_USERNAME: 'root', WHARF_ETCD_PASSWORD: 'root-secret' },
      });
      await eventually(async () => expect((await get(edge!.url, 'auth.test')).status).toBe(200));
      // Let the simple token expire (TTL 1 s), then restart etcd: the watch must re-list with a new token.
      step('token expiry wait');
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      step('etcd stop');
      await etcd.stop();
      step('etcd start');
      await etcd.start();
      step('put after restart');
      await putEndpoint(client, authLayout, 'auth', 'n1:auth-b:80', b.port, { host: 'auth.test' });
      await eventually(async () => {
        const seen = new Set<string>();
        for (let i = 0; i < 4; i++)
          seen.add((await get(edge!.url, 'auth.test')).headers.get('x-backend') ?? '');
        expect(seen).toEqual(new Set(['auth-a', 'auth-b']));
      }, 20_000);
    } finally {
      await edge?.kill();
      client?.close();
      admin.close();
      await a.close();
      await b.close();
      await etcd.close();
    }
  });
});
