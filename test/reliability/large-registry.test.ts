import { KeyLayout, ServiceWatcher } from '@wharf/core';
import type { Etcd3 } from 'etcd3';
import { describe, expect, it } from 'vitest';
import { type EtcdServer, useEtcd } from '../support/etcd-server.js';
import { putAll } from '../support/etcd-writes.js';
import { endpointValue } from '../support/records.js';
import { eventually } from '../support/wait.js';

const layout = new KeyLayout('/wharf');

/** An endpoint record as a bridge writes it, about 500 bytes. */
function realistic(index: number) {
  const id = `host${index % 50}:web-${index}:8080`;
  return {
    key: layout.endpointKey(`svc-${index % 400}`, id),
    value: endpointValue({
      service: `svc-${index % 400}`,
      id,
      address: '10.0.0.5',
      port: 30_000 + (index % 30_000),
      routes: [{ host: 'web.example.com', pathPrefix: '/' }],
      container: { id: 'a'.repeat(64), name: `web-${index}`, image: 'acme/web:1.4' },
      tags: ['zone=eu-1a'],
      health: { check: 'http GET /health', status: 'passing', since: '2026-01-01T00:00:00.000Z' },
    }),
  };
}

describe('a registry larger than one gRPC message', () => {
  let _etcd: EtcdServer;
  let client: Etcd3;

  useEtcd((started) => {
    _etcd = started.etcd;
    client = started.client;
  });

  it('lists 10,000 endpoints plus oversized junk values (over 4 MiB in all) and syncs', async () => {
    const records = Array.from({ length: 10_000 }, (_, index) => realistic(index));
    // Values etcd accepts but wharf refuses (over 64 KiB): they must not make the list fail.
    const junk = Array.from({ length: 8 }, (_, index) => ({
      key: layout.endpointKey('junk', `junk-${index}`),
      value: 'x'.repeat(1024 * 1024),
    }));
    await putAll(client, [...records, ...junk]);
    const total = [...records, ...junk].reduce((sum, entry) => sum + entry.value.length, 0);
    expect(total).toBeGreaterThan(4 * 1024 * 1024);

    const controller = new AbortController();
    const watcher = new ServiceWatcher({ client, layout, onUpdate: () => {} });
    const running = watcher.run(controller.signal);
    try {
      await eventually(() => expect(watcher.synced).toBe(true), 20_000);
      expect(watcher.state.endpoints.size).toBe(records.length);
      expect(watcher.restarts).toBe(0);
    } finally {
      controller.abort();
      await running;
    }
  });
});
