import { createEtcdClient, KeyLayout, ServiceWatcher } from '@wharf/core';
import type { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdServer } from '../support/etcd-server.js';

const layout = new KeyLayout('/wharf');

describe('ServiceWatcher shutdown', () => {
  let etcd: EtcdServer;
  let client: Etcd3;

  beforeAll(async () => {
    etcd = await EtcdServer.start();
    client = createEtcdClient({ endpoints: [etcd.endpoint] });
  });
  afterAll(async () => {
    client?.close();
    await etcd?.close();
  });

  it('returns when aborted between its first list and its watch (a SIGTERM right after start)', async () => {
    const controller = new AbortController();
    // Aborting inside the first update lands exactly between the list and the watch's creation.
    const watcher = new ServiceWatcher({ client, layout, onUpdate: () => controller.abort() });
    const started = Date.now();
    await watcher.run(controller.signal);
    expect(watcher.synced).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
  }, 10_000);
});
