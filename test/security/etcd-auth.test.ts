import { createEtcdClient, KeyLayout, ServiceWatcher } from '@wharf/core';
import type { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EtcdUsers, enableLeastPrivilegeAuth } from '../support/etcd-auth.js';
import { EtcdServer } from '../support/etcd-server.js';
import { endpointValue } from '../support/records.js';
import { eventually } from '../support/wait.js';

const layout = new KeyLayout('/wharf');
const record = (id: string) =>
  endpointValue({ service: 'auth', id, routes: [{ host: 'auth.test', pathPrefix: '/' }] });

describe('etcd username/password auth with least-privilege roles (core client and ServiceWatcher)', () => {
  let etcd: EtcdServer;
  let users: EtcdUsers;
  const clients: Etcd3[] = [];
  const connect = (user: { username: string; password: string }) => {
    const client = createEtcdClient(
      { endpoints: [etcd.endpoint], ...user },
      { dialTimeoutMs: 1_000, callTimeoutMs: 2_000 },
    );
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    etcd = await EtcdServer.start();
    users = await enableLeastPrivilegeAuth(etcd.endpoint);
  });
  afterAll(async () => {
    for (const client of clients) client.close();
    await etcd?.close();
  });

  it('lets the bridge role write its endpoints and bridge record under a lease, and revoke it', async () => {
    const bridge = connect(users.bridge);
    const lease = bridge.lease(10, { autoKeepAlive: false });
    const key = layout.endpointKey('auth', 'n1:auth-1:80');
    await lease.put(key).value(record('n1:auth-1:80'));
    await lease.put(layout.bridgeKey('n1-bridge')).value('{"v":1}');
    expect(await bridge.get(key).string()).toContain('"service":"auth"');
    // A bridge reads the drains operators write.
    expect(await bridge.getAll().prefix(layout.drains).keys()).toEqual([]);
    await lease.revoke();
    expect(await bridge.get(key).string()).toBeNull();
  });

  it('does not let the bridge role write outside its prefixes', async () => {
    const bridge = connect(users.bridge);
    for (const key of [layout.routeKey('evil'), layout.drainKey('n1:auth-1:80'), '/wharf/other', '/other']) {
      await expect(bridge.put(key).value('x').exec(), key).rejects.toMatchObject({
        message: expect.stringMatching(/permission denied/),
      });
    }
    await expect(bridge.delete().prefix('/wharf/').exec()).rejects.toThrow(/permission denied/);
  });

  it('lets the read-only edge role list and watch the whole prefix, but not write', async () => {
    const root = connect(users.root);
    const edge = connect(users.edge);
    const key = layout.endpointKey('auth', 'n1:auth-2:80');
    await root.put(key).value(record('n1:auth-2:80'));

    const controller = new AbortController();
    const watcher = new ServiceWatcher({ client: edge, layout, onUpdate: () => {} });
    const running = watcher.run(controller.signal);
    try {
      await eventually(() => expect(watcher.state.endpoints.has(key)).toBe(true));
      const second = layout.endpointKey('auth', 'n1:auth-3:80');
      await root.put(second).value(record('n1:auth-3:80'));
      await eventually(() => expect(watcher.state.endpoints.has(second)).toBe(true));
      expect(watcher.restarts).toBe(0);
    } finally {
      controller.abort();
      await running;
    }
    await expect(edge.put(key).value('x').exec()).rejects.toThrow(/permission denied/);
    await expect(edge.delete().key(key).exec()).rejects.toThrow(/permission denied/);
  });

  it('refuses a wrong password with an authentication error', async () => {
    const client = connect({ username: users.edge.username, password: 'wrong' });
    await expect(client.get('/wharf/x').string()).rejects.toThrow(/authentication failed/);
  });

  it('refuses anonymous access once auth is on', async () => {
    const client = createEtcdClient({ endpoints: [etcd.endpoint] }, { callTimeoutMs: 2_000 });
    clients.push(client);
    await expect(client.get('/wharf/x').string()).rejects.toThrow(/user name is empty|permission denied/);
  });
});
