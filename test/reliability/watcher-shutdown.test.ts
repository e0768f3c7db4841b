import { KeyLayout, ServiceWatcher } from '@wharf/core';
import type { Etcd3 } from 'etcd3';
import { describe, expect, it } from 'vitest';
import { type EtcdServer, useEtcd } from '../support/etcd-server.js';

const layout = new KeyLayout('/wharf');

describe('ServiceWatcher shutdown', () => {
  let _etcd: EtcdServer;
  let client: Etcd3;

  useEtcd((started) => {
    _etcd = started.etcd;
    client = started.client;
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
