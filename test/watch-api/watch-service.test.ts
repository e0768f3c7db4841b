import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createEtcdClient, type EndpointRecord, encodeRecord, KeyLayout, watchService } from '@wharf/core';
import type { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type EtcdServer, useEtcd } from '../support/etcd-server.js';
import { drainRecord, endpointValue } from '../support/records.js';
import { eventually } from '../support/wait.js';

const execFileAsync = promisify(execFile);
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../packages/core/examples/discover-peers.mjs', import.meta.url));

const layout = new KeyLayout(`/wharf-watch-${process.pid}`);
const node = `watch${process.pid}`;
const id = (name: string) => `${node}:${name}:80`;

function endpoint(service: string, name: string, port: number, extra: Partial<EndpointRecord> = {}) {
  return endpointValue({ service, id: id(name), port, node, bridge: `${node}-bridge`, ...extra });
}

/** Iterates `watchService` in the background, collecting each yielded set as a list of ids. */
function collect(service: string, client: Etcd3, zone?: string) {
  const controller = new AbortController();
  const sets: string[][] = [];
  const records: EndpointRecord[][] = [];
  const done = (async () => {
    for await (const endpoints of watchService(service, {
      signal: controller.signal,
      client,
      layout,
      ...(zone ? { zone } : {}),
    })) {
      records.push(endpoints);
      sets.push(endpoints.map((endpoint) => endpoint.id));
    }
  })();
  return { controller, sets, records, done };
}

describe('watchService against a real etcd', () => {
  let etcd: EtcdServer;
  let client: Etcd3;

  useEtcd((started) => {
    etcd = started.etcd;
    client = started.client;
  });
  beforeEach(async () => {
    await client.delete().prefix(layout.root).exec();
  });

  it('yields the current set first, then each new set on add, drain and remove', async () => {
    await client.put(layout.endpointKey('web', id('web-2'))).value(endpoint('web', 'web-2', 1002));
    await client.put(layout.endpointKey('web', id('web-1'))).value(endpoint('web', 'web-1', 1001));
    await client.put(layout.endpointKey('api', id('api-1'))).value(endpoint('api', 'api-1', 2001));
    const watch = collect('web', client);
    try {
      await eventually(() => expect(watch.sets).toEqual([[id('web-1'), id('web-2')]]));
      expect(watch.records[0]?.[0]).toMatchObject({ service: 'web', port: 1001, state: 'serving' });

      await client.put(layout.endpointKey('web', id('web-3'))).value(endpoint('web', 'web-3', 1003));
      await eventually(() => expect(watch.sets.at(-1)).toEqual([id('web-1'), id('web-2'), id('web-3')]));

      // The bridge marks a stopping container draining: it leaves the serving set.
      await client
        .put(layout.endpointKey('web', id('web-1')))
        .value(endpoint('web', 'web-1', 1001, { state: 'draining' }));
      await eventually(() => expect(watch.sets.at(-1)).toEqual([id('web-2'), id('web-3')]));

      // An operator drain takes effect before the bridge rewrites the record.
      await client
        .put(layout.drainKey(id('web-2')))
        .value(encodeRecord(drainRecord({ service: 'web', at: '2026-01-01T00:00:00Z' })));
      await eventually(() => expect(watch.sets.at(-1)).toEqual([id('web-3')]));

      await client
        .delete()
        .key(layout.endpointKey('web', id('web-3')))
        .exec();
      await eventually(() => expect(watch.sets.at(-1)).toEqual([]));

      await client
        .delete()
        .key(layout.drainKey(id('web-2')))
        .exec();
      await eventually(() => expect(watch.sets.at(-1)).toEqual([id('web-2')]));
      expect(watch.sets).toEqual([
        [id('web-1'), id('web-2')],
        [id('web-1'), id('web-2'), id('web-3')],
        [id('web-2'), id('web-3')],
        [id('web-3')],
        [],
        [id('web-2')],
      ]);
    } finally {
      watch.controller.abort();
      await watch.done;
    }
  });

  it('does not yield for changes that leave the serving set as it was', async () => {
    await client.put(layout.endpointKey('web', id('web-1'))).value(endpoint('web', 'web-1', 1001));
    const watch = collect('web', client);
    try {
      await eventually(() => expect(watch.sets).toHaveLength(1));
      // Same value rewritten, another service changing, a draining endpoint appearing and going,
      // a drain of another service's instance.
      await client.put(layout.endpointKey('web', id('web-1'))).value(endpoint('web', 'web-1', 1001));
      await client.put(layout.endpointKey('api', id('api-1'))).value(endpoint('api', 'api-1', 2001));
      await client
        .put(layout.endpointKey('web', id('web-9')))
        .value(endpoint('web', 'web-9', 1009, { state: 'draining' }));
      await client
        .delete()
        .key(layout.endpointKey('web', id('web-9')))
        .exec();
      await client
        .put(layout.drainKey(id('api-1')))
        .value(encodeRecord(drainRecord({ service: 'api', at: '2026-01-01T00:00:00Z' })));
      // A real change afterwards: it must be the very next set yielded.
      await client.put(layout.endpointKey('web', id('web-2'))).value(endpoint('web', 'web-2', 1002));
      await eventually(() => expect(watch.sets.at(-1)).toEqual([id('web-1'), id('web-2')]));
      expect(watch.sets).toEqual([[id('web-1')], [id('web-1'), id('web-2')]]);
    } finally {
      watch.controller.abort();
      await watch.done;
    }
  });

  it('with a zone: yields its zone while it has serving endpoints, every zone when it has none', async () => {
    const inZone = (name: string, port: number, zone: string) =>
      endpoint('web', name, port, { tags: [`zone=${zone}`] });
    await client.put(layout.endpointKey('web', id('web-a1'))).value(inZone('web-a1', 1001, 'a'));
    await client.put(layout.endpointKey('web', id('web-b1'))).value(inZone('web-b1', 1002, 'b'));
    await client.put(layout.endpointKey('web', id('web-a2'))).value(inZone('web-a2', 1003, 'a'));
    const watch = collect('web', client, 'a');
    try {
      await eventually(() => expect(watch.sets).toEqual([[id('web-a1'), id('web-a2')]]));
      // Zone a drains away: zone b answers rather than nobody.
      await client
        .put(layout.drainKey(id('web-a1')))
        .value(encodeRecord(drainRecord({ service: 'web', at: '2026-01-01T00:00:00Z' })));
      await eventually(() => expect(watch.sets.at(-1)).toEqual([id('web-a2')]));
      await client
        .delete()
        .key(layout.endpointKey('web', id('web-a2')))
        .exec();
      await eventually(() => expect(watch.sets.at(-1)).toEqual([id('web-b1')]));
      // Zone a is back: traffic returns to it.
      await client.put(layout.endpointKey('web', id('web-a3'))).value(inZone('web-a3', 1004, 'a'));
      await eventually(() => expect(watch.sets.at(-1)).toEqual([id('web-a3')]));
    } finally {
      watch.controller.abort();
      await watch.done;
    }
  });

  it('keeps the last set through an etcd restart and yields what changed meanwhile', async () => {
    await client.put(layout.endpointKey('web', id('web-1'))).value(endpoint('web', 'web-1', 1001));
    const watch = collect('web', client);
    try {
      await eventually(() => expect(watch.sets).toEqual([[id('web-1')]]));
      await etcd.stop();
      await etcd.start();
      await client.put(layout.endpointKey('web', id('web-2'))).value(endpoint('web', 'web-2', 1002));
      await eventually(() => expect(watch.sets.at(-1)).toEqual([id('web-1'), id('web-2')]), 20_000);
      expect(watch.sets).toEqual([[id('web-1')], [id('web-1'), id('web-2')]]);
    } finally {
      watch.controller.abort();
      await watch.done;
    }
  });

  it('ends cleanly when the signal aborts, also while etcd is unreachable', async () => {
    const watch = collect('web', client);
    await eventually(() => expect(watch.sets).toEqual([[]]));
    watch.controller.abort();
    await expect(watch.done).resolves.toBeUndefined();

    // Never connected: still ends promptly on abort, without yielding.
    const unreachable = createEtcdClient({ endpoints: ['http://127.0.0.1:1'] });
    try {
      const controller = new AbortController();
      const yielded: unknown[] = [];
      const done = (async () => {
        for await (const set of watchService('web', {
          signal: controller.signal,
          client: unreachable,
          layout,
        })) {
          yielded.push(set);
        }
      })();
      controller.abort();
      await expect(done).resolves.toBeUndefined();
      expect(yielded).toEqual([]);
    } finally {
      unreachable.close();
    }
  });

  it('stops its watcher when the consumer breaks out of the loop', async () => {
    await client.put(layout.endpointKey('web', id('web-1'))).value(endpoint('web', 'web-1', 1001));
    const controller = new AbortController();
    for await (const set of watchService('web', {
      signal: controller.signal,
      config: { endpoints: [etcd.endpoint] },
      layout,
    })) {
      expect(set.map((endpoint) => endpoint.id)).toEqual([id('web-1')]);
      break;
    }
    expect(controller.signal.aborted).toBe(false);
  });

  it('refuses invalid service names and a missing client or config', () => {
    const signal = new AbortController().signal;
    expect(() => watchService('bad/name', { signal, client })).toThrow(
      expect.objectContaining({ code: 'WHARF_INVALID_NAME' }),
    );
    expect(() => watchService('web', { signal })).toThrow(TypeError);
  });

  describe('the discover-peers example', () => {
    let server: Server;
    let port = 0;

    beforeAll(async () => {
      await execFileAsync('npx', ['tsc', '-b', 'packages/core'], { cwd: REPO_ROOT, timeout: 120_000 });
      server = createServer((_request, response) => response.end(`hello from peer ${port}\n`));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as { port: number }).port;
    });
    afterAll(() => {
      server?.close();
    });

    it('discovers a peer through etcd and calls it', async () => {
      await client
        .put(layout.endpointKey('greeter', id('greeter-1')))
        .value(endpoint('greeter', 'greeter-1', port));
      const { stdout } = await execFileAsync('node', [EXAMPLE, 'greeter', '--once'], {
        cwd: REPO_ROOT,
        env: { ...process.env, WHARF_ETCD: etcd.endpoint, WHARF_PREFIX: layout.prefix },
        timeout: 20_000,
      });
      expect(stdout).toBe(
        `greeter: 1 serving: 127.0.0.1:${port}\nGET ${id('greeter-1')} → 200 hello from peer ${port}\n`,
      );
    });
  });
});
