import { EventEmitter } from 'node:events';
import {
  type EtcdStore,
  encodeRecord,
  etcd3Store,
  KeyLayout,
  type RegistryUpdate,
  ServiceWatcher,
  WatchInterruptedError,
  type WatchListener,
} from '@wharf/core';
import type { Etcd3 } from 'etcd3';
import { describe, expect, it } from 'vitest';
import { type EtcdServer, useEtcd } from '../support/etcd-server.js';
import { drainRecord, endpointValue } from '../support/records.js';
import { eventually } from '../support/wait.js';
import { interceptWatches } from '../support/watch-interceptor.js';

const layout = new KeyLayout('/wharf');

const endpoint = (service: string, id: string, port: number, state: 'serving' | 'draining' = 'serving') =>
  endpointValue({ service, id, port, state, routes: [{ host: `${service}.test`, pathPrefix: '/' }] });

describe('ServiceWatcher against a real etcd', () => {
  let etcd: EtcdServer;
  let client: Etcd3;

  useEtcd((started) => {
    etcd = started.etcd;
    client = started.client;
  });

  function startWatcher(watchClient: Etcd3 | EtcdStore = client, probeIntervalMs?: number, prefix?: string) {
    const updates: RegistryUpdate[] = [];
    const controller = new AbortController();
    const watcher = new ServiceWatcher({
      client: watchClient,
      layout,
      ...(prefix === undefined ? {} : { prefix }),
      ...(probeIntervalMs === undefined ? {} : { probeIntervalMs }),
      onUpdate: (update) => updates.push({ ...update, changes: [...update.changes] }),
    });
    const running = watcher.run(controller.signal);
    return {
      watcher,
      updates,
      stop: async () => {
        controller.abort();
        await running;
      },
    };
  }

  it('lists, then applies each watch response as one batch', async () => {
    await client.delete().prefix('/wharf/').exec();
    await client.put(layout.endpointKey('web', 'n1:web-1:80')).value(endpoint('web', 'n1:web-1:80', 1001));
    const { watcher, updates, stop } = startWatcher();
    try {
      await eventually(() => expect(watcher.synced).toBe(true));
      expect(updates[0]?.reset).toBe(true);
      expect([...watcher.state.endpoints.keys()]).toEqual(['/wharf/services/web/n1:web-1:80']);

      await client
        .if(layout.endpointKey('web', 'n1:web-2:80'), 'Version', '==', 0)
        .then(
          client.put(layout.endpointKey('web', 'n1:web-2:80')).value(endpoint('web', 'n1:web-2:80', 1002)),
          client.delete().key(layout.endpointKey('web', 'n1:web-1:80')),
        )
        .commit();
      await eventually(() =>
        expect([...watcher.state.endpoints.keys()]).toEqual(['/wharf/services/web/n1:web-2:80']),
      );
      const last = updates.at(-1)!;
      expect(last.reset).toBe(false);
      expect(last.changes.map((change) => [change.key, change.current ? 'put' : 'delete']).sort()).toEqual([
        ['/wharf/services/web/n1:web-1:80', 'delete'],
        ['/wharf/services/web/n1:web-2:80', 'put'],
      ]);
    } finally {
      await stop();
    }
  });

  it('skips malformed and unknown-version values and keeps the valid ones', async () => {
    await client.delete().prefix('/wharf/').exec();
    const { watcher, stop } = startWatcher();
    try {
      await eventually(() => expect(watcher.synced).toBe(true));
      await client.put('/wharf/services/web/bad-json').value('{not json');
      await client.put('/wharf/services/web/future').value(JSON.stringify({ v: 2 }));
      await client.put('/wharf/services/web/../x').value(endpoint('web', 'x', 1));
      await client.put(layout.endpointKey('web', 'n1:web-3:80')).value(endpoint('web', 'n1:web-3:80', 99999));
      await client.put(layout.endpointKey('web', 'n1:web-4:80')).value(endpoint('web', 'n1:web-4:80', 1004));
      await eventually(() =>
        expect([...watcher.state.endpoints.keys()]).toEqual(['/wharf/services/web/n1:web-4:80']),
      );
    } finally {
      await stop();
    }
  });

  it('keeps its state while etcd is down and catches up from a fresh list when it returns', async () => {
    await client.delete().prefix('/wharf/').exec();
    await client.put(layout.endpointKey('api', 'n1:api-1:80')).value(endpoint('api', 'n1:api-1:80', 2001));
    const { watcher, stop } = startWatcher();
    try {
      await eventually(() => expect(watcher.state.endpoints.size).toBe(1));
      await etcd.stop();
      await eventually(() => expect(watcher.connected).toBe(false));
      expect(watcher.state.endpoints.size).toBe(1);
      await etcd.start();
      await client.put(layout.endpointKey('api', 'n1:api-2:80')).value(endpoint('api', 'n1:api-2:80', 2002));
      await eventually(() => expect(watcher.state.endpoints.size).toBe(2), 20_000);
      expect(watcher.restarts).toBeGreaterThan(0);
    } finally {
      await stop();
    }
  });

  it('re-lists when its watch revision has been compacted away', async () => {
    await client.delete().prefix('/wharf/').exec();
    // Hold the watch back after the list until the revision it starts from has been compacted.
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
    const { watcher, stop } = startWatcher(delayed);
    try {
      await eventually(() => expect(watches).toBe(1));
      await client.put(layout.endpointKey('db', 'n1:db-1:80')).value(endpoint('db', 'n1:db-1:80', 3001));
      const { header } = await client.put('/unrelated').value('x').exec();
      await (client as unknown as { kv: { compact(req: object): Promise<unknown> } }).kv.compact({
        revision: header.revision,
        physical: true,
      });
      release();
      await eventually(() => expect(watcher.state.endpoints.size).toBe(1));
      expect(watcher.restarts).toBeGreaterThan(0);
    } finally {
      await stop();
    }
  });

  it('starts over when its watch looks connected but delivers nothing', async () => {
    await client.delete().prefix('/wharf/').exec();
    let watches = 0;
    // The first watch is a stream that was "created" and then never says anything again.
    const silent = interceptWatches(client, async (attempt, create) => {
      watches = attempt;
      if (attempt > 1) return create();
      return Object.assign(new EventEmitter(), { cancel: async () => {} }) as never;
    });
    const { watcher, stop } = startWatcher(silent, 100);
    try {
      await eventually(() => expect(watcher.connected).toBe(true));
      expect(watches).toBe(1);
      await client
        .put(layout.endpointKey('cache', 'n1:cache-1:80'))
        .value(endpoint('cache', 'n1:cache-1:80', 4001));
      await eventually(() => expect(watcher.state.endpoints.size).toBe(1));
      expect(watches).toBe(2);
      expect(watcher.restarts).toBe(1);
    } finally {
      await stop();
    }
  });

  it('resumes a broken watch from the last revision applied: no re-list, nothing missed', async () => {
    await client.delete().prefix('/wharf/').exec();
    await client.put(layout.endpointKey('web', 'n1:web-1:80')).value(endpoint('web', 'n1:web-1:80', 1001));
    const real = etcd3Store(client);
    let lists = 0;
    let current: WatchListener | undefined;
    let held: Promise<void> = Promise.resolve();
    const store: EtcdStore = new Proxy(real, {
      get(target, property, receiver) {
        if (property === 'range')
          return (...args: Parameters<EtcdStore['range']>) => {
            if (args[1]?.limit !== 1) lists += 1;
            return target.range(...args);
          };
        if (property === 'watch')
          return async (...[request, listener]: Parameters<EtcdStore['watch']>) => {
            await held;
            current = listener;
            return target.watch(request, listener);
          };
        return Reflect.get(target, property, receiver);
      },
    });
    const { watcher, stop } = startWatcher(store);
    try {
      await eventually(() => expect(watcher.connected).toBe(true));
      let release!: () => void;
      held = new Promise((resolve) => {
        release = resolve;
      });
      // The stream breaks, and changes land before the watch is back.
      current?.onFailure(new WatchInterruptedError('connection reset'));
      await client.put(layout.endpointKey('web', 'n1:web-2:80')).value(endpoint('web', 'n1:web-2:80', 1002));
      await client.delete().key(layout.endpointKey('web', 'n1:web-1:80'));
      release();
      await eventually(() =>
        expect([...watcher.state.endpoints.keys()]).toEqual(['/wharf/services/web/n1:web-2:80']),
      );
      expect(lists).toBe(1);
      expect(watcher.restarts).toBe(1);
    } finally {
      await stop();
    }
  });

  it('mirrors only its prefix when given one', async () => {
    await client.delete().prefix('/wharf/').exec();
    await client.put(layout.endpointKey('web', 'n1:web-1:80')).value(endpoint('web', 'n1:web-1:80', 1001));
    await client.put(layout.drainKey('n1:web-1:80')).value(encodeRecord(drainRecord({ service: 'web' })));
    const { watcher, stop } = startWatcher(client, undefined, layout.drains);
    try {
      await eventually(() => expect([...watcher.state.drains.keys()]).toEqual(['/wharf/drains/n1:web-1:80']));
      await client.put(layout.endpointKey('api', 'n1:api-1:80')).value(endpoint('api', 'n1:api-1:80', 2001));
      await client.delete().key(layout.drainKey('n1:web-1:80'));
      await eventually(() => expect(watcher.state.drains.size).toBe(0));
      expect(watcher.state.endpoints.size).toBe(0);
    } finally {
      await stop();
    }
  });
});
