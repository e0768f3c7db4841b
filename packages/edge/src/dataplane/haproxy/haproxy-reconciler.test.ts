import type { EndpointRecord, RegistryChange } from '@wharf/core';
import { describe, expect, it } from 'vitest';
import { validEndpoint } from '../../../../../test/support/record-fuzzer.js';
import { RouteTableBuilder } from '../../routing/route-table-builder.js';
import { describeRuntimeStep, HaproxyReconciler, type RuntimeStep } from './haproxy-reconciler.js';

const maps = {
  hosts: 'h.map',
  wildcards: 'w.map',
  routes: 'r.map',
  slots: 's.map',
  held: 'held.map',
  redirect: 'redirect.map',
  hsts: 'hsts.map',
};

function record(id: string, port: number, host: string, extra: Partial<EndpointRecord> = {}): EndpointRecord {
  return { ...validEndpoint('web', id, '10.0.0.1', port, host), ...extra } as EndpointRecord;
}

function put(current: EndpointRecord): RegistryChange {
  return {
    kind: 'endpoint',
    key: `/wharf/services/${current.service}/${current.id}`,
    parsed: { kind: 'endpoint', service: current.service, instanceId: current.id },
    current,
    previous: undefined,
  };
}

function del(previous: EndpointRecord): RegistryChange {
  return {
    kind: 'endpoint',
    key: `/wharf/services/${previous.service}/${previous.id}`,
    parsed: { kind: 'endpoint', service: previous.service, instanceId: previous.id },
    current: undefined,
    previous,
  };
}

/** A builder and a reconciler fed the same batches, as the data plane does. */
function rig(
  options: {
    slotBlock?: number;
    resolve?: (address: string) => string | undefined;
    graceMs?: number;
    now?: () => number;
    zone?: string;
  } = {},
) {
  const builder = new RouteTableBuilder({
    graceMs: options.graceMs ?? 0,
    now: options.now,
    zone: options.zone,
  });
  const reconciler = new HaproxyReconciler({
    maps,
    ejectionMs: 1_000,
    resolve: options.resolve ?? ((address) => address),
    slotBlock: options.slotBlock ?? 4,
    zone: options.zone,
  });
  let revision = 0;
  let table = builder.apply({ revision, changes: [] }).table;
  return {
    reconciler,
    apply(...changes: RegistryChange[]) {
      revision += 1;
      const result = builder.apply({ revision, changes });
      table = result.table;
      return reconciler.plan(result.table, result.changedHosts);
    },
    /** Plans `hosts` again with nothing changed in the registry (as after a health change). */
    replan(hosts: readonly string[]) {
      return reconciler.plan(table, hosts);
    },
  };
}

/** The plan as text; panic twins (`<id>:panic`) left out unless asked for. */
const commands = (steps: readonly RuntimeStep[], { twins = false } = {}) =>
  steps.map(describeRuntimeStep).filter((line) => twins || !line.includes(':panic'));

describe('HaproxyReconciler', () => {
  it('adds a new host: servers first, then the slot and route entries, then the host', () => {
    const { apply } = rig();
    const plan = apply(
      put(record('n1:a:80', 8001, 'web.test', { weight: 3 })),
      put(record('n1:b:80', 8002, 'web.test', { state: 'draining' })),
    );
    expect(plan.reload).toBe(false);
    const lines = commands(plan.steps);
    expect(lines).toEqual([
      expect.stringMatching(/^add server p0\/n1:a:80 10\.0\.0\.1:8001 weight 3 check /),
      'enable health p0/n1:a:80',
      'enable server p0/n1:a:80',
      // Draining from the start: added, left in maintenance (no requests).
      expect.stringMatching(/^add server p0\/n1:b:80 10\.0\.0\.1:8002 weight 1 check /),
      'enable health p0/n1:b:80',
      'add map s.map p0 web.test/',
      'add map r.map web.test/ p0',
      'add map h.map web.test web.test',
    ]);
  });

  it('turns endpoint changes into single commands and never reloads for them', () => {
    const { apply, reconciler } = rig();
    const a = record('n1:a:80', 8001, 'web.test');
    apply(put(a), put(record('n1:b:80', 8002, 'web.test')));
    expect(commands(apply(put({ ...a, state: 'draining' })).steps)).toEqual([
      'set server p0/n1:a:80 state drain',
    ]);
    expect(commands(apply(put({ ...a, weight: 7 })).steps)).toEqual([
      'set server p0/n1:a:80 weight 7',
      'set server p0/n1:a:80 state ready',
    ]);
    expect(commands(apply(put({ ...a, weight: 7, port: 9001 })).steps)).toEqual([
      'set server p0/n1:a:80 addr 10.0.0.1 port 9001',
    ]);
    const removal = apply(del(a));
    expect(commands(removal.steps)).toEqual(['set server p0/n1:a:80 state maint']);
    expect(removal.reload).toBe(false);
    expect(reconciler.pendingDeletes()).toEqual([
      { slot: 'p0', name: 'n1:a:80' },
      { slot: 'p0', name: 'n1:a:80:panic' },
    ]);
    // Back before HAProxy let it go: the same server is revived, not added twice.
    expect(commands(apply(put(a)).steps)).toEqual([
      'set server p0/n1:a:80 addr 10.0.0.1 port 8001',
      'set server p0/n1:a:80 weight 1',
      'set server p0/n1:a:80 state ready',
    ]);
    expect(reconciler.pendingDeletes()).toEqual([]);
  });

  it('adds and removes prefixes of a host with map entries keyed on segment boundaries', () => {
    const { apply } = rig();
    apply(put(record('n1:root:80', 8001, 'web.test')));
    const api = record('n1:api:80', 8002, 'web.test', {
      routes: [{ host: 'web.test', pathPrefix: '/api/' }],
    });
    expect(commands(apply(put(api)).steps)).toEqual([
      expect.stringMatching(/^add server p1\/n1:api:80 /),
      'enable health p1/n1:api:80',
      'enable server p1/n1:api:80',
      'add map s.map p1 web.test/api',
      'add map r.map web.test/api/ p1',
    ]);
    expect(commands(apply(del(api)).steps)).toEqual([
      'del map r.map web.test/api/',
      'del map s.map p1',
      'set server p1/n1:api:80 state maint',
    ]);
  });

  it('removes a host before its routes, frees its slot, and reuses it in a later plan', () => {
    const { apply, reconciler } = rig();
    const gone = record('n1:gone:80', 8001, 'gone.test');
    apply(put(gone));
    expect(commands(apply(del(gone)).steps)).toEqual([
      'del map h.map gone.test',
      'del map r.map gone.test/',
      'del map s.map p0',
      'set server p0/n1:gone:80 state maint',
    ]);
    const next = apply(put(record('n1:next:80', 8002, 'next.test')));
    expect(commands(next.steps)).toContain('add map r.map next.test/ p0');
    expect(reconciler.slotCount).toBe(4);
  });

  it('gives every endpoint an unchecked backup twin that follows its state, for when all are down', () => {
    const { apply } = rig();
    const a = record('n1:a:80', 8001, 'web.test');
    const added = commands(apply(put(a)).steps, { twins: true });
    expect(added.slice(0, 5)).toEqual([
      expect.stringMatching(/^add server p0\/n1:a:80 10\.0\.0\.1:8001 weight 1 check .* on-error mark-down$/),
      'enable health p0/n1:a:80',
      'enable server p0/n1:a:80',
      'add server p0/n1:a:80:panic 10.0.0.1:8001 weight 1 backup',
      'enable server p0/n1:a:80:panic',
    ]);
    expect(commands(apply(put({ ...a, state: 'draining' })).steps, { twins: true })).toEqual([
      'set server p0/n1:a:80 state drain',
      'set server p0/n1:a:80:panic state drain',
    ]);
  });

  it('makes endpoints of other zones backup servers, keeps every twin, and a zone change a reload', () => {
    const { apply } = rig({ zone: 'eu-1a' });
    const near = record('n1:near:80', 8001, 'zone.test', { tags: ['zone=eu-1a'] });
    const far = record('n1:far:80', 8002, 'zone.test', { tags: ['zone=us-1a'] });
    const added = commands(apply(put(near), put(far)).steps, { twins: true }).filter((line) =>
      line.startsWith('add server'),
    );
    expect(added).toEqual([
      expect.stringMatching(/^add server p0\/n1:far:80 .*mark-down backup$/),
      'add server p0/n1:far:80:panic 10.0.0.1:8002 weight 1 backup',
      expect.stringMatching(/^add server p0\/n1:near:80 .*mark-down$/),
      'add server p0/n1:near:80:panic 10.0.0.1:8001 weight 1 backup',
    ]);
    expect(apply(put({ ...far, tags: ['zone=eu-1a'] })).reload).toBe(true);
  });

  it('with no endpoint in the edge zone, balances them all as backups, twins too: no reload when one arrives', () => {
    const { apply } = rig({ zone: 'eu-1a' });
    const far = record('n1:far:80', 8002, 'zone.test', { tags: ['zone=us-1a'] });
    const untagged = record('n1:untagged:80', 8003, 'zone.test');
    const added = commands(apply(put(far), put(untagged)).steps).filter((line) =>
      line.startsWith('add server'),
    );
    expect(added).toEqual([
      expect.stringMatching(/^add server p0\/n1:far:80 .*mark-down backup$/),
      expect.stringMatching(/^add server p0\/n1:untagged:80 .*mark-down backup$/),
    ]);
    expect(apply(put(record('n1:near:80', 8001, 'zone.test', { tags: ['zone=eu-1a'] }))).reload).toBe(false);
  });

  it('on an edge with a zone, parks the twins while a server of the pool is up, and lets them in when none is', () => {
    const { apply, reconciler, replan } = rig({ zone: 'eu-1a' });
    const near = record('n1:near:80', 8001, 'zone.test', { tags: ['zone=eu-1a'] });
    const far = record('n1:far:80', 8002, 'zone.test', { tags: ['zone=us-1a'] });
    const added = commands(apply(put(near), put(far)).steps, { twins: true });
    // The far server shares the backup tier with the twins: they are added, never enabled.
    expect(added.filter((line) => line.includes(':panic'))).toEqual([
      'add server p0/n1:far:80:panic 10.0.0.1:8002 weight 1 backup',
      'add server p0/n1:near:80:panic 10.0.0.1:8001 weight 1 backup',
    ]);
    const twinsReady = () =>
      reconciler
        .snapshot()
        .slots[0]!.servers.filter((server) => !server.checked)
        .map((server) => server.ready);
    expect(twinsReady()).toEqual([false, false]);

    expect(reconciler.healthChanged('p0/n1:near:80', true)).toEqual(['zone.test']);
    expect(commands(replan(['zone.test']).steps, { twins: true })).toEqual([]);
    reconciler.healthChanged('p0/n1:far:80', true);
    expect(commands(replan(['zone.test']).steps, { twins: true })).toEqual([
      'set server p0/n1:far:80:panic state ready',
      'set server p0/n1:near:80:panic state ready',
    ]);
    reconciler.healthChanged('p0/n1:far:80', false);
    expect(commands(replan(['zone.test']).steps, { twins: true })).toEqual([
      'set server p0/n1:far:80:panic state drain',
      'set server p0/n1:near:80:panic state drain',
    ]);

    // A fresh HAProxy takes every server as up: the files park the twins, and so does the model.
    reconciler.healthChanged('p0/n1:far:80', true);
    replan(['zone.test']);
    reconciler.reloaded();
    expect(twinsReady()).toEqual([false, false]);
    expect(commands(replan(['zone.test']).steps, { twins: true })).toEqual([]);
  });

  it('leaves the twins alone in the backup tier where no server of another zone is there', () => {
    const { apply, reconciler, replan } = rig();
    apply(put(record('n1:a:80', 8001, 'web.test')));
    reconciler.healthChanged('p0/n1:a:80', true);
    expect(commands(replan(['web.test']).steps, { twins: true })).toEqual([]);
    expect(reconciler.snapshot().slots[0]!.servers.map((server) => server.ready)).toEqual([true, true]);
  });

  it('keeps wildcard hosts most specific first and replaces that map as a whole', () => {
    const { apply } = rig();
    const plan = apply(
      put(record('n1:w1:80', 8001, '*.example.com')),
      put(record('n1:w2:80', 8002, '*.eu.example.com')),
    );
    const replace = plan.steps.find((step) => step.kind === 'replace-map');
    expect(replace).toEqual({
      kind: 'replace-map',
      map: 'w.map',
      entries: [
        ['.eu.example.com', '*.eu.example.com'],
        ['.example.com', '*.example.com'],
      ],
    });
    expect(commands(plan.steps)).not.toContain(expect.stringMatching(/^add map h\.map/));
  });

  it('asks for a reload when pools outgrow the slots, and grows them by a block', () => {
    const { apply, reconciler } = rig({ slotBlock: 2 });
    expect(apply(put(record('n1:a:80', 8001, 'a.test')), put(record('n1:b:80', 8002, 'b.test'))).reload).toBe(
      false,
    );
    const plan = apply(put(record('n1:c:80', 8003, 'c.test')));
    expect(plan.reload).toBe(true);
    expect(reconciler.slotCount).toBe(4);
    const snapshot = reconciler.snapshot();
    expect(snapshot.slots.map((slot) => slot.name)).toEqual(['p0', 'p1', 'p2', 'p3']);
    expect(snapshot.routes).toContainEqual(['c.test/', 'p2']);
    expect(snapshot.hosts).toContainEqual(['c.test', 'c.test']);
  });

  it('leaves out endpoints whose address cannot be used and renders what is left', () => {
    const { apply, reconciler } = rig({
      resolve: (address) => (address === 'bad.example' ? undefined : address),
    });
    apply(
      put(record('n1:ok:80', 8001, 'dns.test')),
      put(record('n1:bad:80', 8002, 'dns.test', { address: 'bad.example' })),
    );
    const [slot] = reconciler.snapshot().slots;
    expect(slot?.servers.map((server) => server.name)).toEqual(['n1:ok:80', 'n1:ok:80:panic']);
  });

  it('marks a route held while it has no serving endpoint within its grace, in the map and the files', () => {
    let now = 1_000;
    const { apply, reconciler } = rig({ graceMs: 30_000, now: () => now });
    const a = record('n1:a:80', 8001, 'held.test');
    apply(put(a));
    now = 2_000;
    const gone = commands(apply(del(a)).steps);
    expect(gone).toContain('add map held.map p0 32000');
    expect(gone).not.toContain('del map r.map held.test/');
    expect(reconciler.snapshot().held).toEqual([['p0', '32000']]);
    const back = commands(apply(put(a)).steps);
    expect(back).toContain('del map held.map p0');
    expect(reconciler.snapshot().held).toEqual([]);
  });

  it('keeps the HTTPS redirect and HSTS of a route in per-slot maps', () => {
    const { apply, reconciler } = rig();
    const route = { host: 'secure.test', pathPrefix: '/', redirect: 'https', hsts: 600 } as const;
    const a = record('n1:a:80', 8001, 'secure.test', { routes: [route] } as Partial<EndpointRecord>);
    const added = commands(apply(put(a)).steps);
    expect(added).toContain('add map redirect.map p0 1');
    expect(added).toContain('add map hsts.map p0 600');
    expect(reconciler.snapshot()).toMatchObject({ redirect: [['p0', '1']], hsts: [['p0', '600']] });
    const plain = record('n1:a:80', 8001, 'secure.test', {
      routes: [{ host: 'secure.test', pathPrefix: '/', hsts: 60 }],
    } as Partial<EndpointRecord>);
    expect(commands(apply(put(plain)).steps)).toEqual(['del map redirect.map p0', 'set map hsts.map p0 60']);
  });

  it('leaves servers being deleted out of the rendered files and forgets them after a reload', () => {
    const { apply, reconciler } = rig();
    const a = record('n1:a:80', 8001, 'web.test');
    apply(put(a), put(record('n1:b:80', 8002, 'web.test')));
    apply(del(a));
    expect(reconciler.snapshot().slots[0]?.servers.map((server) => server.name)).toEqual([
      'n1:b:80',
      'n1:b:80:panic',
    ]);
    reconciler.reloaded();
    expect(reconciler.pendingDeletes()).toEqual([]);
    // Re-added after the reload: a fresh `add server`, since HAProxy no longer has it.
    expect(commands(apply(put(a)).steps)[0]).toMatch(/^add server p0\/n1:a:80 /);
  });
});
