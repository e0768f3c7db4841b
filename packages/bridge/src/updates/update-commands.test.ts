import type { EndpointRecord } from '@wharf/core';
import { silentLogger } from '@wharf/core';
import { describe, expect, it } from 'vitest';
import type { ExecOutcome, ExecRequest } from './exec-runner.js';
import { type Schedule, UpdateCommands } from './update-commands.js';

function endpoint(service: string, address: string, port: number): EndpointRecord {
  return {
    v: 1,
    service,
    id: `n1:${service}-${address}:${port}`,
    address,
    port,
    protocol: 'tcp',
    node: 'n1',
    bridge: 'n1-bridge',
    tags: [],
    weight: 1,
    routes: [],
    state: 'serving',
    registeredAt: '2026-01-01T00:00:00.000Z',
  };
}

/** Everything the coordinator touches, by hand: service sets, timers and the exec runner. */
function rig() {
  const sets = new Map<string, (set: readonly EndpointRecord[]) => void>();
  const watched: string[] = [];
  const timers: (() => void)[] = [];
  const runs: { request: ExecRequest; finish: (outcome: ExecOutcome) => void }[] = [];
  const schedule: Schedule = (run) => {
    let cancelled = false;
    timers.push(() => {
      if (!cancelled) run();
    });
    return () => {
      cancelled = true;
    };
  };
  const updates = new UpdateCommands({
    logger: silentLogger,
    schedule,
    watch: (service, signal) => ({
      async *[Symbol.asyncIterator]() {
        watched.push(service);
        const queue: (readonly EndpointRecord[])[] = [];
        let wake: (() => void) | undefined;
        sets.set(service, (set) => {
          queue.push(set);
          wake?.();
        });
        signal.addEventListener('abort', () => wake?.());
        while (!signal.aborted) {
          const next = queue.shift();
          if (next) yield next;
          else
            await new Promise<void>((resolve) => {
              wake = resolve;
            });
        }
        sets.delete(service);
      },
    }),
    exec: {
      run: (request) => new Promise((finish) => runs.push({ request, finish })),
    },
  });
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  return {
    updates,
    runs,
    watched,
    /** Publishes a new serving set of `service` and lets the watchers see it. */
    async publish(service: string, set: readonly EndpointRecord[]) {
      sets.get(service)?.(set);
      await settle();
    },
    /** Fires every pending debounce timer. */
    async tick() {
      for (const fire of timers.splice(0)) fire();
      await settle();
    },
    watching: (service: string) => sets.has(service),
    settle,
  };
}

const consumer = {
  id: 'c1',
  name: 'app-1',
  labels: { 'wharf.requires': 'db,cache', 'wharf.on-change': 'reload' },
  publishes: false,
};

describe('UpdateCommands', () => {
  it('runs once every required set is known, with WHARF_<SERVICE>_ADDRS and WHARF_CHANGED', async () => {
    const { updates, runs, publish, tick, settle } = rig();
    updates.observe(consumer);
    await settle();
    await publish('db', [endpoint('db', '10.0.0.5', 32768), endpoint('db', '10.0.0.6', 32768)]);
    await tick();
    expect(runs).toHaveLength(0); // cache not read yet
    await publish('cache', []);
    await tick();
    expect(runs).toHaveLength(1);
    expect(runs[0]?.request).toMatchObject({
      containerId: 'c1',
      command: ['/bin/sh', '-c', 'reload'],
      env: ['WHARF_DB_ADDRS=10.0.0.5:32768,10.0.0.6:32768', 'WHARF_CACHE_ADDRS=', 'WHARF_CHANGED=db,cache'],
      timeoutMs: 30_000,
    });
  });

  it('waits for the registration of a container that publishes', async () => {
    const { updates, runs, publish, tick, settle } = rig();
    updates.observe({
      ...consumer,
      labels: { 'wharf.requires': 'db', 'wharf.on-change': 'reload' },
      publishes: true,
    });
    await settle();
    await publish('db', [endpoint('db', '10.0.0.5', 1)]);
    await tick();
    expect(runs).toHaveLength(0);
    updates.registered('c1');
    await tick();
    expect(runs).toHaveLength(1);
  });

  it('debounces a burst, runs one at a time per container, and runs again after a change during a run', async () => {
    const { updates, runs, publish, tick, settle } = rig();
    updates.observe({ ...consumer, labels: { 'wharf.requires': 'db', 'wharf.on-change': 'reload' } });
    await settle();
    await publish('db', [endpoint('db', '10.0.0.5', 1)]);
    await publish('db', [endpoint('db', '10.0.0.5', 1), endpoint('db', '10.0.0.6', 1)]);
    await tick();
    expect(runs).toHaveLength(1);
    expect(runs[0]?.request.env[0]).toBe('WHARF_DB_ADDRS=10.0.0.5:1,10.0.0.6:1');
    await publish('db', [endpoint('db', '10.0.0.6', 1)]);
    await tick();
    expect(runs).toHaveLength(1); // the first is still running
    runs[0]?.finish({ kind: 'exited', exitCode: 0, output: '' });
    await settle();
    await tick();
    expect(runs).toHaveLength(2);
    expect(runs[1]?.request.env).toEqual(['WHARF_DB_ADDRS=10.0.0.6:1', 'WHARF_CHANGED=db']);
  });

  it('never holds one container up for another', async () => {
    const { updates, runs, publish, tick, settle } = rig();
    updates.observe({ ...consumer, id: 'c1', labels: { 'wharf.requires': 'db', 'wharf.on-change': 'hang' } });
    updates.observe({
      ...consumer,
      id: 'c2',
      name: 'app-2',
      labels: { 'wharf.requires': 'db', 'wharf.on-change': 'quick' },
    });
    await settle();
    await publish('db', [endpoint('db', '10.0.0.5', 1)]);
    await tick();
    expect(runs.map((run) => run.request.containerId).sort()).toEqual(['c1', 'c2']);
    runs.find((run) => run.request.containerId === 'c2')?.finish({ kind: 'exited', exitCode: 0, output: '' });
    await publish('db', [endpoint('db', '10.0.0.6', 1)]);
    await tick();
    expect(runs.filter((run) => run.request.containerId === 'c2')).toHaveLength(2);
  });

  it('retries a failed or timed-out command with the next change, still naming what changed before', async () => {
    const { updates, runs, publish, tick, settle } = rig();
    updates.observe({ ...consumer, labels: { 'wharf.requires': 'db,cache', 'wharf.on-change': 'reload' } });
    await settle();
    await publish('db', [endpoint('db', '10.0.0.5', 1)]);
    await publish('cache', [endpoint('cache', '10.0.0.7', 2)]);
    await tick();
    runs[0]?.finish({ kind: 'exited', exitCode: 1, output: 'boom' });
    await settle();
    await tick();
    expect(runs).toHaveLength(1); // no retry loop: it waits for a change
    await publish('cache', [endpoint('cache', '10.0.0.8', 2)]);
    await tick();
    expect(runs).toHaveLength(2);
    expect(runs[1]?.request.env.at(-1)).toBe('WHARF_CHANGED=db,cache');
    runs[1]?.finish({ kind: 'timeout', output: '' });
    await settle();
    await publish('db', [endpoint('db', '10.0.0.6', 1)]);
    await tick();
    expect(runs).toHaveLength(3);
  });

  it('skips a run when the addresses did not change (a record rewritten in place)', async () => {
    const { updates, runs, publish, tick, settle } = rig();
    updates.observe({ ...consumer, labels: { 'wharf.requires': 'db', 'wharf.on-change': 'reload' } });
    await settle();
    await publish('db', [endpoint('db', '10.0.0.5', 1)]);
    await tick();
    runs[0]?.finish({ kind: 'exited', exitCode: 0, output: '' });
    await settle();
    await publish('db', [{ ...endpoint('db', '10.0.0.5', 1), registeredAt: '2026-02-02T00:00:00.000Z' }]);
    await tick();
    expect(runs).toHaveLength(1);
  });

  it('shares one watch per service and stops it with the last container that needs it', async () => {
    const { updates, watched, watching, settle } = rig();
    updates.observe({ ...consumer, id: 'c1', labels: { 'wharf.requires': 'db', 'wharf.on-change': 'a' } });
    updates.observe({ ...consumer, id: 'c2', labels: { 'wharf.requires': 'db', 'wharf.on-change': 'b' } });
    await settle();
    expect(watched).toEqual(['db']);
    updates.forget('c1');
    await settle();
    expect(watching('db')).toBe(true);
    updates.forget('c2');
    await settle();
    expect(watching('db')).toBe(false);
  });

  it('follows label changes and ignores containers whose labels are bad', async () => {
    const { updates, watched, watching, settle } = rig();
    updates.observe({ ...consumer, labels: { 'wharf.on-change': 'reload' } });
    await settle();
    expect(watched).toEqual([]);
    updates.observe({ ...consumer, labels: { 'wharf.requires': 'db', 'wharf.on-change': 'reload' } });
    updates.observe({ ...consumer, labels: { 'wharf.requires': 'cache', 'wharf.on-change': 'reload' } });
    await settle();
    expect([watching('db'), watching('cache')]).toEqual([false, true]);
    await updates.close();
    expect(watching('cache')).toBe(false);
  });
});
