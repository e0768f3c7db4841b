import {
  createEtcdClient,
  EtcdGateway,
  type EtcdStore,
  EtcdUnavailableError,
  etcd3Store,
  KeyLayout,
  listPrefix,
  prefixEnd,
  type WatchResponse,
} from '@wharf/core';
import type { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { EtcdServer, useEtcd } from '../support/etcd-server.js';
import { putAll } from '../support/etcd-writes.js';
import { createTestPki, etcdTlsArgs, type TestPki } from '../support/tls.js';
import { eventually } from '../support/wait.js';

const layout = new KeyLayout('/wharf-store');

/** The same contract, on both implementations: the etcd3 client (gRPC) and the JSON gateway. */
describe.each([
  ['etcd3 (gRPC)', (client: Etcd3, _endpoint: string) => etcd3Store(client)],
  ['JSON gateway', (_client: Etcd3, endpoint: string) => new EtcdGateway({ endpoints: [endpoint] })],
] as const)('EtcdStore on %s', (_name, connect) => {
  let etcd: EtcdServer;
  let client: Etcd3;
  let store: EtcdStore;

  useEtcd((started) => {
    etcd = started.etcd;
    client = started.client;
  });
  beforeAll(() => {
    store = connect(client, etcd.endpoint);
  });
  afterAll(() => {
    if (store instanceof EtcdGateway) store.close();
  });
  beforeEach(async () => {
    await client.delete().prefix(layout.root).exec();
  });

  it('reads ranges page by page at one revision, newest first on request, with the count', async () => {
    await putAll(
      client,
      Array.from({ length: 1_203 }, (_, index) => ({
        key: `${layout.services}bulk/n:${String(index).padStart(5, '0')}`,
        value: `value ${index}`,
      })),
    );
    const listed = await listPrefix(store, layout.services);
    expect(listed.kvs).toHaveLength(1_203);
    expect(listed.kvs[0]).toMatchObject({ key: `${layout.services}bulk/n:00000`, lease: '0' });
    expect(listed.kvs[1_202]?.value.toString()).toBe('value 1202');

    await store.put(`${layout.services}bulk/n:00007`, 'changed');
    const newest = await store.range(layout.services, {
      end: prefixEnd(layout.services),
      limit: 1,
      newestFirst: true,
    });
    expect(newest).toMatchObject({ count: 1_203, more: true });
    expect(newest.kvs.map((kv) => [kv.key, kv.value.toString()])).toEqual([
      [`${layout.services}bulk/n:00007`, 'changed'],
    ]);
    expect(newest.revision).toBe(newest.kvs[0]?.modRevision);
    expect((await store.range(`${layout.root}nothing`)).kvs).toEqual([]);
  });

  it('keeps keys on a lease, lists them, renews it, and revoking it removes them', async () => {
    const lease = await store.grantLease(30);
    await store.put(layout.bridgeKey('n1-bridge'), '{}', { lease });
    await store.put(layout.endpointKey('web', 'n1:web-1:80'), '{}', { lease });
    const status = await store.leaseStatus(lease);
    expect(status?.grantedTtlSeconds).toBe(30);
    expect([...(status?.keys ?? [])].sort()).toEqual(
      [layout.bridgeKey('n1-bridge'), layout.endpointKey('web', 'n1:web-1:80')].sort(),
    );
    expect(await store.keepAliveLease(lease, { timeoutMs: 2_000 })).toBe(30);
    expect((await store.range(layout.bridgeKey('n1-bridge'))).kvs[0]?.lease).toBe(lease);

    await store.revokeLease(lease);
    expect((await store.range(layout.root, { end: prefixEnd(layout.root) })).count).toBe(0);
    expect(await store.leaseStatus(lease)).toBeUndefined();
    expect(await store.keepAliveLease(lease)).toBeLessThanOrEqual(0);
    await store.revokeLease(lease);
    await expect(store.put(layout.bridgeKey('n1-bridge'), '{}', { lease })).rejects.toMatchObject({
      code: 'WHARF_LEASE_NOT_FOUND',
    });
    expect(await store.delete(layout.bridgeKey('n1-bridge'))).toBe(0);
  });

  it('watches a range from a revision, and says when that revision was compacted', async () => {
    const { header } = await client.put(`${layout.drains}before`).value('1').exec();
    const responses: WatchResponse[] = [];
    const failures: Error[] = [];
    const handle = await store.watch(
      { key: layout.drains, end: prefixEnd(layout.drains), startRevision: Number(header.revision) },
      { onResponse: (response) => responses.push(response), onFailure: (error) => failures.push(error) },
    );
    try {
      await store.put(`${layout.drains}after`, '2');
      await store.put(`${layout.services}elsewhere`, '3');
      await store.delete(`${layout.drains}before`);
      await eventually(() =>
        expect(
          responses.flatMap((response) => response.events).map((event) => [event.type, event.kv.key]),
        ).toEqual([
          ['put', `${layout.drains}before`],
          ['put', `${layout.drains}after`],
          ['delete', `${layout.drains}before`],
        ]),
      );
      expect(failures).toEqual([]);
    } finally {
      handle.cancel();
    }

    const { header: latest } = await client.put('/unrelated').value('x').exec();
    await (client as unknown as { kv: { compact(request: object): Promise<unknown> } }).kv.compact({
      revision: latest.revision,
      physical: true,
    });
    const compacted = await store
      .watch(
        { key: layout.drains, end: prefixEnd(layout.drains), startRevision: Number(header.revision) },
        { onResponse: () => {}, onFailure: (error) => failures.push(error) },
      )
      .then(
        async (late) => {
          await eventually(() => expect(failures).toHaveLength(1));
          late.cancel();
          return failures[0];
        },
        (error: unknown) => error,
      );
    expect(compacted).toMatchObject({ code: 'WHARF_WATCH_COMPACTED' });
  });
});

describe('EtcdGateway across members, with auth and TLS', () => {
  it('moves to another member when one is down or frozen', async () => {
    const cluster = await EtcdCluster.start(3);
    const gateway = new EtcdGateway({ endpoints: cluster.endpoints }, { callTimeoutMs: 1_500 });
    try {
      await cluster.kill(0);
      await cluster.waitHealthy();
      // The first endpoint refuses: the call goes on to the next.
      await gateway.put(`${layout.root}failover`, 'a');
      const lease = await gateway.grantLease(10);
      // The member it now talks to stops answering (frozen): a keep-alive with a deadline fails
      // once, and the next one is answered elsewhere. The first member is back, so that a quorum
      // remains to answer (the gateway only settles on a member that can serve a linearizable read).
      cluster.restart(0);
      await cluster.waitHealthy();
      const frozen = (await cluster.leader()) === 1 ? 2 : 1;
      cluster.pause(frozen);
      try {
        let renewed = 0;
        for (let attempt = 0; attempt < 4 && renewed === 0; attempt += 1) {
          renewed = await gateway.keepAliveLease(lease, { timeoutMs: 1_000 }).catch(() => 0);
        }
        expect(renewed).toBe(10);
      } finally {
        cluster.resume(frozen);
      }
    } finally {
      gateway.close();
      await cluster.close();
    }
  });

  it('a member cut off from its quorum refuses at once, and the heal is found within a second', async () => {
    const cluster = await EtcdCluster.start(3);
    const [first, second, third] = cluster.endpoints as [string, string, string];
    // The bridge's own member first, as on a host that gets cut off.
    const gateway = new EtcdGateway({ endpoints: [third, first, second] });
    try {
      await gateway.grantLease(10);
      // The cut: the other two members stop answering anyone (packets dropped), the third loses
      // its leader an election timeout later.
      cluster.pause(0);
      cluster.pause(1);
      await eventually(async () => {
        const status = await fetch(`${third}/v3/maintenance/status`, {
          method: 'POST',
          body: '{}',
          headers: { 'grpc-metadata-hasleader': 'true' },
        });
        expect(status.status).toBe(503);
      }, 5_000);
      // etcd would hold a grant about 7 s on a proposal nobody applies, and the client its whole
      // deadline (5 s) on each member.
      let started = Date.now();
      await expect(gateway.grantLease(10)).rejects.toBeInstanceOf(EtcdUnavailableError);
      expect(Date.now() - started).toBeLessThan(2_500);

      cluster.resume(0);
      cluster.resume(1);
      started = Date.now();
      await eventually(() => gateway.grantLease(10), 5_000);
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      gateway.close();
      await cluster.close();
    }
  });

  it('logs in, and logs in again when its token has expired', async () => {
    const etcd = await EtcdServer.start({ args: ['--auth-token=simple', '--auth-token-ttl=1'] });
    const admin = new EtcdGateway({ endpoints: [etcd.endpoint] });
    try {
      const { Etcd3 } = await import('etcd3');
      const setup = new Etcd3({ hosts: etcd.endpoint });
      await setup.role('root').create();
      await setup.user('root').create('root-secret');
      await setup.user('root').addRole('root');
      await setup.auth.authEnable();
      setup.close();

      await expect(admin.range('/x')).rejects.toThrow(/user name is empty/);
      const wrong = new EtcdGateway({ endpoints: [etcd.endpoint], username: 'root', password: 'wrong' });
      await expect(wrong.range('/x')).rejects.toThrow(/authentication failed/);
      wrong.close();

      const gateway = new EtcdGateway({
        endpoints: [etcd.endpoint],
        username: 'root',
        password: 'root-secret',
      });
      try {
        await gateway.put(`${layout.root}auth`, 'a');
        // The simple token lives 1 s without use.
        await new Promise((resolve) => setTimeout(resolve, 2_500));
        expect((await gateway.range(`${layout.root}auth`)).kvs[0]?.value.toString()).toBe('a');
        await new Promise((resolve) => setTimeout(resolve, 2_500));
        const handle = await gateway.watch(
          { key: layout.root, end: prefixEnd(layout.root), startRevision: 1 },
          { onResponse: () => {}, onFailure: () => {} },
        );
        handle.cancel();
      } finally {
        gateway.close();
      }
    } finally {
      admin.close();
      await etcd.close();
    }
  });

  describe('over TLS', () => {
    let pki: TestPki;
    let etcd: EtcdServer;
    beforeAll(async () => {
      pki = createTestPki();
      etcd = await EtcdServer.start({
        scheme: 'https',
        args: etcdTlsArgs(pki),
        probe: (endpoint) =>
          createEtcdClient({ endpoints: [endpoint], ca: pki.ca, cert: pki.clientCert, key: pki.clientKey }),
      });
    });
    afterAll(async () => {
      await etcd?.close();
      pki?.close();
    });

    it('works with a client certificate, and says bad certificate with one from another CA', async () => {
      const gateway = new EtcdGateway({
        endpoints: [etcd.endpoint],
        ca: pki.ca,
        cert: pki.clientCert,
        key: pki.clientKey,
      });
      try {
        await gateway.put(`${layout.root}tls`, 'a');
        expect((await gateway.range(`${layout.root}tls`)).kvs[0]?.value.toString()).toBe('a');
      } finally {
        gateway.close();
      }
      const rogue = new EtcdGateway({
        endpoints: [etcd.endpoint],
        ca: pki.ca,
        cert: pki.rogueCert,
        key: pki.rogueKey,
      });
      try {
        await expect(rogue.range(`${layout.root}tls`)).rejects.toThrow(/bad certificate/i);
      } finally {
        rogue.close();
      }
    });
  });
});
