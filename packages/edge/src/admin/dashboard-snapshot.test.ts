import { type EndpointRecord, KeyLayout, type RegistryState } from '@wharf/core';
import { describe, expect, it } from 'vitest';
import { RouteTableBuilder } from '../routing/route-table-builder.js';
import { dashboardBackends, dashboardStatus, dashboardTable, sseFrame } from './dashboard-snapshot.js';
import type { RoutesDocument } from './edge-admin.js';

const HOSTILE = '<img src=x onerror=alert(1)>';

function record(id: string, port: number, overrides: Partial<EndpointRecord> = {}): EndpointRecord {
  return {
    v: 1,
    service: 'web',
    id,
    address: '10.0.0.5',
    port,
    protocol: 'http',
    node: 'n1',
    bridge: 'b1',
    tags: ['zone=eu-1a'],
    weight: 1,
    routes: [{ host: 'web.test', pathPrefix: '/' }],
    state: 'serving',
    health: { check: 'http GET /health', status: 'passing', since: '2026-01-01T00:00:00.000Z' },
    registeredAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  } as EndpointRecord;
}

function fixture(): { document: RoutesDocument; registry: RegistryState } {
  const endpoints = new Map<string, EndpointRecord>([
    ['/wharf/services/web/n1:web-1:80', record('n1:web-1:80', 1001)],
    [
      '/wharf/services/web/n1:web-2:80',
      record('n1:web-2:80', 1002, { state: 'draining', tags: [HOSTILE], health: undefined }),
    ],
    ['/wharf/services/web/n1:web-3:80', record('n1:web-3:80', 1003, { address: 'fd00::5' })],
  ]);
  const registry: RegistryState = {
    endpoints,
    bridges: new Map(),
    routes: new Map(),
    certificates: new Map(),
    challenges: new Map(),
    drains: new Map([
      [
        '/wharf/drains/n1:web-2:80',
        { v: 1, service: 'web', reason: HOSTILE, at: '2026-01-01T00:00:01.000Z' },
      ],
    ]),
  };
  const table = RouteTableBuilder.fromState(registry, 42, new KeyLayout('/wharf'), { now: () => 0 });
  const document: RoutesDocument = {
    dataplane: 'builtin',
    revision: 42,
    syncAgeSeconds: 0,
    synced: true,
    table: table.describe(),
    backends: [
      { backend: '10.0.0.5:1001', active: 0, ejectedUntil: null, consecutiveFailures: 0 },
      { backend: '10.0.0.5:1002', active: 2, ejectedUntil: null, consecutiveFailures: 0 },
      {
        backend: '[fd00::5]:1003',
        active: 0,
        ejectedUntil: '2026-01-01T00:00:30.000Z',
        consecutiveFailures: 3,
      },
    ],
  };
  return { document, registry };
}

describe('dashboardTable', () => {
  it('joins each endpoint to its record health, tags, node, drain and backend key', () => {
    const { document, registry } = fixture();
    const table = dashboardTable(document, registry);
    expect(table.revision).toBe(42);
    expect(table.hosts.map((host) => host.host)).toEqual(['web.test']);
    const [route] = table.hosts[0]!.routes;
    expect(route?.id).toBe('web.test/');
    expect(route?.routable).toBe(true);
    const byId = new Map(route?.endpoints.map((endpoint) => [endpoint.id, endpoint]));
    expect(byId.get('n1:web-1:80')).toMatchObject({
      state: 'serving',
      backend: '10.0.0.5:1001',
      health: { status: 'passing', check: 'http GET /health' },
      node: 'n1',
      tags: ['zone=eu-1a'],
      drain: null,
    });
    // Values from etcd pass through as data: escaping is the page's job (textContent).
    expect(byId.get('n1:web-2:80')).toMatchObject({
      state: 'draining',
      health: null,
      tags: [HOSTILE],
      drain: { reason: HOSTILE, at: '2026-01-01T00:00:01.000Z' },
    });
    expect(byId.get('n1:web-3:80')?.backend).toBe('[fd00::5]:1003');
  });

  it('shows the table alone when no registry state is at hand (cluster primary)', () => {
    const { document } = fixture();
    const endpoints = dashboardTable(document).hosts[0]!.routes[0]!.endpoints;
    expect(endpoints).toHaveLength(3);
    for (const endpoint of endpoints) {
      expect(endpoint).toMatchObject({ health: null, node: null, tags: [], drain: null });
    }
  });
});

describe('dashboardStatus and dashboardBackends', () => {
  it('states revision, sync, readiness and scope', () => {
    const { document } = fixture();
    expect(
      dashboardStatus({ ...document, syncAgeSeconds: 12.5, synced: true }, false, 'cluster', 4, 0),
    ).toEqual({
      revision: 42,
      synced: true,
      ready: false,
      syncAgeSeconds: 12.5,
      scope: 'cluster',
      workers: 4,
      now: '1970-01-01T00:00:00.000Z',
    });
  });

  it('sends only backends that are busy, failing or ejected', () => {
    const { document } = fixture();
    expect(dashboardBackends(document)).toEqual({
      '10.0.0.5:1002': { active: 2, ejectedUntil: null, consecutiveFailures: 0 },
      '[fd00::5]:1003': { active: 0, ejectedUntil: '2026-01-01T00:00:30.000Z', consecutiveFailures: 3 },
    });
  });
});

describe('sseFrame', () => {
  it('frames one event with single-line JSON data, even for values with newlines', () => {
    const frame = sseFrame('table', { reason: 'a\nb\r\ndata: forged\n\n' });
    expect(frame.endsWith('\n\n')).toBe(true);
    const lines = frame.slice(0, -2).split('\n');
    expect(lines).toEqual([
      'event: table',
      `data: ${JSON.stringify({ reason: 'a\nb\r\ndata: forged\n\n' })}`,
    ]);
    expect(JSON.parse(lines[1]!.slice('data: '.length))).toEqual({ reason: 'a\nb\r\ndata: forged\n\n' });
  });
});
