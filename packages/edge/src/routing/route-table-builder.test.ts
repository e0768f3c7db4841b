import { type EndpointRecord, KeyLayout, type RegistryChange, type RouteRecord } from '@wharf/core';
import { describe, expect, it } from 'vitest';
import { RouteTableBuilder } from './route-table-builder.js';

function endpoint(
  service: string,
  id: string,
  port: number,
  routes: { host: string; pathPrefix?: string }[],
  extra: Partial<EndpointRecord> = {},
): EndpointRecord {
  return {
    v: 1,
    service,
    id,
    address: '10.0.0.1',
    port,
    protocol: 'http',
    node: 'n1',
    bridge: 'b1',
    tags: [],
    weight: 1,
    routes: routes.map((route) => ({ host: route.host, pathPrefix: route.pathPrefix ?? '/' })),
    state: 'serving',
    registeredAt: '2026-01-01T00:00:00Z',
    ...extra,
  };
}

const keyOf = (record: EndpointRecord) => `/wharf/services/${record.service}/${record.id}`;
const put = (record: EndpointRecord, previous?: EndpointRecord): RegistryChange => ({
  kind: 'endpoint',
  key: keyOf(record),
  parsed: { kind: 'endpoint', service: record.service, instanceId: record.id },
  current: record,
  previous,
});
const del = (record: EndpointRecord): RegistryChange => ({
  kind: 'endpoint',
  key: keyOf(record),
  parsed: { kind: 'endpoint', service: record.service, instanceId: record.id },
  current: undefined,
  previous: record,
});
const route = (routeId: string, record: Omit<RouteRecord, 'v'> | undefined): RegistryChange => ({
  kind: 'route',
  key: `/wharf/routes/${routeId}`,
  parsed: { kind: 'route', routeId },
  current: record ? { v: 1, ...record } : undefined,
  previous: undefined,
});

describe('RouteTableBuilder', () => {
  it('routes by host and the longest path prefix on segment boundaries', () => {
    const builder = new RouteTableBuilder();
    const root = endpoint('web', 'n1:web-1:80', 8001, [{ host: 'web.test' }]);
    const api = endpoint('api', 'n1:api-1:80', 8002, [{ host: 'web.test', pathPrefix: '/api/' }]);
    const v2 = endpoint('api2', 'n1:api2-1:80', 8003, [{ host: 'web.test', pathPrefix: '/api/v2' }]);
    const { table } = builder.apply({ revision: 5, changes: [put(root), put(api), put(v2)] });
    expect(table.revision).toBe(5);
    expect(table.match('web.test', '/')?.pathPrefix).toBe('/');
    expect(table.match('web.test', '/api')?.pathPrefix).toBe('/api');
    expect(table.match('web.test', '/api/x?y')?.pathPrefix).toBe('/api');
    expect(table.match('web.test', '/apix')?.pathPrefix).toBe('/');
    expect(table.match('web.test', '/api/v2/z')?.pathPrefix).toBe('/api/v2');
    expect(table.match('other.test', '/')).toBeUndefined();
  });

  it('unknown prefix under a known host is unmatched (404), not another host', () => {
    const builder = new RouteTableBuilder();
    const api = endpoint('api', 'n1:api-1:80', 8002, [{ host: 'web.test', pathPrefix: '/api' }]);
    const { table } = builder.apply({ revision: 1, changes: [put(api)] });
    expect(table.match('web.test', '/')).toBeUndefined();
    expect(table.match('web.test', '/api/1')?.routable).toBe(true);
  });

  it('keeps draining endpoints out of the balancer; all draining means not routable', () => {
    const builder = new RouteTableBuilder();
    const a = endpoint('web', 'n1:web-1:80', 8001, [{ host: 'web.test' }]);
    const b = endpoint('web', 'n1:web-2:80', 8002, [{ host: 'web.test' }], { state: 'draining' });
    let { table } = builder.apply({ revision: 1, changes: [put(a), put(b)] });
    const pool = table.match('web.test', '/')!;
    expect(pool.endpoints).toHaveLength(2);
    expect(pool.balancer.items.map((item) => item.port)).toEqual([8001]);
    ({ table } = builder.apply({ revision: 2, changes: [put({ ...a, state: 'draining' }, a)] }));
    expect(table.match('web.test', '/')?.routable).toBe(false);
  });

  it('removes a host when its last endpoint goes, unless an operator route keeps it (503)', () => {
    const builder = new RouteTableBuilder();
    const a = endpoint('web', 'n1:web-1:80', 8001, [{ host: 'web.test' }]);
    builder.apply({ revision: 1, changes: [put(a)] });
    let { table } = builder.apply({ revision: 2, changes: [del(a)] });
    expect(table.findHost('web.test')).toBeUndefined();

    ({ table } = builder.apply({
      revision: 3,
      changes: [route('r1', { host: 'shop.test', pathPrefix: '/', service: 'shop' })],
    }));
    expect(table.match('shop.test', '/')?.routable).toBe(false);
    const shop = endpoint('shop', 'n1:shop-1:80', 9001, []);
    ({ table } = builder.apply({ revision: 4, changes: [put(shop)] }));
    expect(table.match('shop.test', '/x')?.balancer.items.map((item) => item.port)).toEqual([9001]);
    expect(table.match('shop.test', '/')?.operatorRoutes).toEqual([{ id: 'r1', service: 'shop' }]);
    ({ table } = builder.apply({ revision: 5, changes: [del(shop)] }));
    expect(table.match('shop.test', '/')?.routable).toBe(false);
    ({ table } = builder.apply({ revision: 6, changes: [route('r1', undefined)] }));
    expect(table.findHost('shop.test')).toBeUndefined();
  });

  it('matches wildcard hosts after exact ones, most specific first', () => {
    const builder = new RouteTableBuilder();
    const wild = endpoint('w', 'n1:w-1:80', 8001, [{ host: '*.example.com' }]);
    const deep = endpoint('d', 'n1:d-1:80', 8002, [{ host: '*.eu.example.com' }]);
    const exact = endpoint('e', 'n1:e-1:80', 8003, [{ host: 'www.example.com' }]);
    const { table } = builder.apply({ revision: 1, changes: [put(wild), put(deep), put(exact)] });
    expect(table.match('a.example.com', '/')?.host).toBe('*.example.com');
    expect(table.match('a.b.example.com', '/')?.host).toBe('*.example.com');
    expect(table.match('x.eu.example.com', '/')?.host).toBe('*.eu.example.com');
    expect(table.match('www.example.com', '/')?.host).toBe('www.example.com');
    expect(table.match('example.com', '/')).toBeUndefined();
  });

  it('refuses link-local, unspecified and multicast backends unless allowed', () => {
    const meta = endpoint('m', 'n1:m-1:80', 80, [{ host: 'm.test' }], { address: '169.254.169.254' });
    const zero = endpoint('z', 'n1:z-1:80', 80, [{ host: 'z.test' }], { address: '0.0.0.0' });
    const strict = new RouteTableBuilder().apply({ revision: 1, changes: [put(meta), put(zero)] });
    expect(strict.table.size).toBe(0);
    expect(strict.addedBackends).toEqual([]);
    const relaxed = new RouteTableBuilder({ allowLinkLocal: true }).apply({
      revision: 1,
      changes: [put(meta), put(zero)],
    });
    expect(relaxed.table.match('m.test', '/')?.routable).toBe(true);
    expect(relaxed.table.findHost('z.test')).toBeUndefined();
  });

  it('reports backends started and stopped, shared by address:port', () => {
    const builder = new RouteTableBuilder();
    const a = endpoint('web', 'n1:web-1:80', 8001, [{ host: 'a.test' }]);
    const b = endpoint('web2', 'n1:web2-1:80', 8001, [{ host: 'b.test' }]);
    expect(builder.apply({ revision: 1, changes: [put(a), put(b)] }).addedBackends).toEqual([
      '10.0.0.1:8001',
    ]);
    const moved = { ...a, address: '10.0.0.2' };
    const result = builder.apply({ revision: 2, changes: [put(moved, a)] });
    expect(result.addedBackends).toEqual(['10.0.0.2:8001']);
    expect(result.removedBackends).toEqual([]);
    expect(builder.apply({ revision: 3, changes: [del(b)] }).removedBackends).toEqual(['10.0.0.1:8001']);
    // Rewriting an endpoint unchanged keeps its backend.
    const same = builder.apply({ revision: 4, changes: [put(moved, moved)] });
    expect([same.addedBackends, same.removedBackends]).toEqual([[], []]);
  });

  it('rebuilds only touched hosts; untouched pools (and their balancer position) are reused', () => {
    const builder = new RouteTableBuilder();
    const a = endpoint('a', 'n1:a-1:80', 8001, [{ host: 'a.test' }]);
    const b = endpoint('b', 'n1:b-1:80', 8002, [{ host: 'b.test' }]);
    const first = builder.apply({ revision: 1, changes: [put(a), put(b)] }).table;
    const second = builder.apply({ revision: 2, changes: [put({ ...b, weight: 3 }, b)] });
    expect(second.changedHosts).toEqual(['b.test']);
    expect(second.table.findHost('a.test')).toBe(first.findHost('a.test'));
    expect(second.table.findHost('b.test')).not.toBe(first.findHost('b.test'));
    expect(first.match('b.test', '/')?.balancer.items[0]?.weight).toBe(1);
  });

  it('describes the table as plain JSON', () => {
    const builder = new RouteTableBuilder({ now: () => Date.UTC(2026, 0, 1) });
    const a = endpoint('web', 'n1:web-1:80', 8001, [{ host: 'web.test', pathPrefix: '/app' }]);
    const { table } = builder.apply({ revision: 7, changes: [put(a)] });
    expect(JSON.parse(JSON.stringify(table))).toEqual({
      revision: 7,
      builtAt: '2026-01-01T00:00:00.000Z',
      hosts: [
        {
          host: 'web.test',
          routes: [
            {
              pathPrefix: '/app',
              routable: true,
              heldUntil: null,
              operatorRoutes: [],
              endpoints: [
                {
                  key: keyOf(a),
                  service: 'web',
                  id: 'n1:web-1:80',
                  address: '10.0.0.1',
                  port: 8001,
                  weight: 1,
                  state: 'serving',
                  drained: false,
                },
              ],
            },
          ],
        },
      ],
    });
  });

  it('builds from a whole registry state (what `wharf routes` uses)', () => {
    const a = endpoint('web', 'n1:web-1:80', 8001, [{ host: 'web.test' }]);
    const table = RouteTableBuilder.fromState(
      {
        endpoints: new Map([[keyOf(a), a]]),
        routes: new Map([['/wharf/routes/r', { v: 1, host: 'alias.test', pathPrefix: '/', service: 'web' }]]),
        bridges: new Map(),
        drains: new Map(),
        certificates: new Map(),
        challenges: new Map(),
      },
      9,
      new KeyLayout('/wharf'),
    );
    expect(table.match('alias.test', '/')?.balancer.items.map((item) => item.port)).toEqual([8001]);
    expect(table.match('web.test', '/')?.routable).toBe(true);
  });

  it('honours an operator drain at once, whatever the record says, and forgets it when removed', () => {
    const builder = new RouteTableBuilder();
    const a = endpoint('web', 'n1:web-1:80', 8001, [{ host: 'web.test' }]);
    const b = endpoint('web', 'n1:web-2:80', 8002, [{ host: 'web.test' }]);
    builder.apply({ revision: 1, changes: [put(a), put(b)] });
    const drain = (current: boolean): RegistryChange => ({
      kind: 'drain',
      key: '/wharf/drains/n1:web-1:80',
      parsed: { kind: 'drain', instanceId: 'n1:web-1:80' },
      current: current ? { v: 1, service: 'web', at: '2026-01-01T00:00:00Z' } : undefined,
      previous: undefined,
    });
    const drained = builder.apply({ revision: 2, changes: [drain(true)] });
    expect(drained.changedHosts).toEqual(['web.test']);
    const pool = drained.table.match('web.test', '/')!;
    expect(pool.endpoints.map((endpoint) => [endpoint.port, endpoint.state, endpoint.drained])).toEqual([
      [8001, 'draining', true],
      [8002, 'serving', false],
    ]);
    expect(pool.balancer.items.map((endpoint) => endpoint.port)).toEqual([8002]);
    // A record rewritten while drained stays drained; a drain that arrived first applies too.
    const rewritten = builder.apply({ revision: 3, changes: [put({ ...a, weight: 2 }, a)] });
    expect(rewritten.table.match('web.test', '/')!.endpoints[0]).toMatchObject({
      state: 'draining',
      weight: 2,
    });
    const undrained = builder.apply({ revision: 4, changes: [drain(false)] });
    expect(undrained.table.match('web.test', '/')!.balancer.items).toHaveLength(2);
  });

  it('holds a route that lost its last serving endpoint for the grace period: 503, not 404', () => {
    let now = 1_000;
    const builder = new RouteTableBuilder({ graceMs: 30_000, now: () => now });
    const a = endpoint('web', 'n1:web-1:80', 8001, [{ host: 'web.test', pathPrefix: '/app' }]);
    builder.apply({ revision: 1, changes: [put(a)] });
    now = 2_000;
    const gone = builder.apply({ revision: 2, changes: [del(a)] });
    const held = gone.table.match('web.test', '/app/x');
    expect(held).toMatchObject({ routable: false, heldUntil: 32_000, endpoints: [] });
    expect(builder.nextExpiry).toBe(32_000);
    // Draining first, then deleted (a docker stop): the grace runs from the moment it stopped serving.
    now = 10_000;
    const back = builder.apply({ revision: 3, changes: [put(a)] });
    expect(back.table.match('web.test', '/app')).toMatchObject({ routable: true, heldUntil: 0 });
    expect(builder.nextExpiry).toBeUndefined();
    now = 11_000;
    builder.apply({ revision: 4, changes: [put({ ...a, state: 'draining' }, a)] });
    now = 12_000;
    const deleted = builder.apply({ revision: 5, changes: [del({ ...a, state: 'draining' })] });
    expect(deleted.table.match('web.test', '/app')?.heldUntil).toBe(41_000);
    now = 40_999;
    expect(builder.expire().table.findHost('web.test')).toBeDefined();
    now = 41_000;
    const expired = builder.expire();
    expect(expired.changedHosts).toEqual(['web.test']);
    expect(expired.table.findHost('web.test')).toBeUndefined();
    expect(expired.table.revision).toBe(5);
    expect(builder.nextExpiry).toBeUndefined();
  });

  it('forgets a route at once without a grace period', () => {
    const builder = new RouteTableBuilder();
    const a = endpoint('web', 'n1:web-1:80', 8001, [{ host: 'web.test' }]);
    builder.apply({ revision: 1, changes: [put(a)] });
    expect(builder.apply({ revision: 2, changes: [del(a)] }).table.findHost('web.test')).toBeUndefined();
  });

  it("prefers endpoints tagged with the edge's zone and falls back to the others", () => {
    const builder = new RouteTableBuilder({ zone: 'eu-1a' });
    const local = endpoint('web', 'n1:web-1:80', 8001, [{ host: 'web.test' }], { tags: ['zone=eu-1a'] });
    const remote = endpoint('web', 'n2:web-2:80', 8002, [{ host: 'web.test' }], { tags: ['zone=eu-1b'] });
    const { table } = builder.apply({ revision: 1, changes: [put(local), put(remote)] });
    const pool = table.match('web.test', '/')!;
    expect(pool.endpoints.map((endpoint) => endpoint.zone)).toEqual(['eu-1a', 'eu-1b']);
    expect(new Set(Array.from({ length: 4 }, () => pool.balancer.pick()?.port))).toEqual(new Set([8001]));
    expect(pool.balancer.pick((endpoint) => endpoint.port !== 8001)?.port).toBe(8002);
    const drained = builder.apply({ revision: 2, changes: [put({ ...local, state: 'draining' }, local)] });
    expect(drained.table.match('web.test', '/')!.balancer.pick()?.port).toBe(8002);
  });

  // Numbers, not assertions: the bar (cold sync ≤ 1 s, one change ≤ 50 ms p99 at 10,000
  // endpoints) is measured by benchmarks; this prints what the builder itself costs.
  it('measures cold build and single changes at 10,000 endpoints', () => {
    for (const [label, hosts] of [
      ['10,000 endpoints on 1,000 hosts', 1_000],
      ['10,000 endpoints on 10,000 hosts', 10_000],
      ['10,000 endpoints on 1 host', 1],
    ] as const) {
      const builder = new RouteTableBuilder();
      const records = Array.from({ length: 10_000 }, (_, i) =>
        endpoint(
          `svc${i % hosts}`,
          `n${i}:c-${i}:80`,
          1_000 + (i % 60_000),
          [{ host: `h${i % hosts}.test` }],
          {
            address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
          },
        ),
      );
      let started = performance.now();
      const cold = builder.apply({ revision: 1, changes: records.map((record) => put(record)) });
      const coldMs = performance.now() - started;
      expect(cold.table.size).toBe(hosts);
      const samples: number[] = [];
      for (let i = 0; i < 500; i++) {
        const record = records[(i * 7919) % records.length]!;
        const changed = { ...record, state: i % 2 === 0 ? ('draining' as const) : ('serving' as const) };
        started = performance.now();
        builder.apply({ revision: 2 + i, changes: [put(changed, record)] });
        samples.push(performance.now() - started);
      }
      samples.sort((a, b) => a - b);
      const p50 = samples[Math.floor(samples.length * 0.5)]!;
      const p99 = samples[Math.floor(samples.length * 0.99)]!;
      console.log(
        `route table builder, ${label}: cold ${coldMs.toFixed(1)} ms; one change p50 ${p50.toFixed(3)} ms, p99 ${p99.toFixed(3)} ms`,
      );
    }
  }, 60_000);
});

describe('RouteTableBuilder: HTTPS fields', () => {
  it('carries wharf.tls, the redirect and HSTS from label and operator routes to the pool', () => {
    const builder = new RouteTableBuilder();
    const plain = endpoint('web', 'n1:web-1:80', 8001, [{ host: 'web.test' }]);
    const secured = endpoint('web', 'n1:web-2:80', 8002, []);
    secured.routes = [{ host: 'web.test', pathPrefix: '/', tls: 'auto', redirect: 'https', hsts: 300 }];
    let { table } = builder.apply({ revision: 1, changes: [put(plain)] });
    expect(table.match('web.test', '/')?.tls).toEqual({ auto: false, redirect: false, hsts: undefined });
    ({ table } = builder.apply({ revision: 2, changes: [put(secured)] }));
    expect(table.match('web.test', '/')?.tls).toEqual({ auto: true, redirect: true, hsts: 300 });
    ({ table } = builder.apply({
      revision: 3,
      changes: [del(secured), route('api', { host: 'api.test', pathPrefix: '/', service: 'web', hsts: 60 })],
    }));
    expect(table.match('web.test', '/')?.tls.auto).toBe(false);
    expect(table.match('api.test', '/')?.tls).toEqual({ auto: false, redirect: false, hsts: 60 });
    expect(table.describe().hosts.find((host) => host.host === 'api.test')?.routes[0]?.tls).toEqual({
      auto: false,
      redirect: false,
      hsts: 60,
    });
  });
});
