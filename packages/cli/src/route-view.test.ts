import { KeyLayout } from '@wharf/core';
import { describe, expect, it } from 'vitest';
import { drainRecord, routeRecord } from '../../../test/support/records.js';
import { renderRoutes } from './commands/routes.js';
import { createPalette } from './render/palette.js';
import { buildRouteView } from './route-view.js';
import { endpointValue, snapshotOf } from './test-fixtures.js';

describe('buildRouteView', () => {
  const snapshot = snapshotOf({
    '/wharf/services/web/h:web-1:80': endpointValue('web', 'h:web-1:80', {
      port: 1001,
      routes: [{ host: 'web.example.com', pathPrefix: '/' }],
    }),
    '/wharf/services/web/h:web-2:80': endpointValue('web', 'h:web-2:80', {
      port: 1002,
      routes: [{ host: 'web.example.com', pathPrefix: '/' }],
      state: 'draining',
    }),
    '/wharf/services/api/h:api-1:80': endpointValue('api', 'h:api-1:80', {
      port: 2001,
      routes: [{ host: 'web.example.com', pathPrefix: '/api' }],
    }),
    '/wharf/services/db/h:db-1:5432': endpointValue('db', 'h:db-1:5432', { port: 5432 }),
    '/wharf/routes/admin': routeRecord({ host: 'admin.example.com', service: 'api' }),
    '/wharf/routes/gone': routeRecord({ host: 'gone.example.com', service: 'nothing' }),
    '/wharf/drains/h:api-1:80': drainRecord({ service: 'api', at: '2026-01-02T03:04:05Z' }),
  });
  const layout = new KeyLayout('/wharf');
  const view = buildRouteView(snapshot, layout);

  it('derives label and operator routes, longest prefix first per host', () => {
    expect(view.map((entry) => [entry.host, entry.pathPrefix, entry.services, entry.sources])).toEqual([
      ['admin.example.com', '/', ['api'], ['route:admin']],
      ['gone.example.com', '/', ['nothing'], ['route:gone']],
      ['web.example.com', '/api', ['api'], ['label']],
      ['web.example.com', '/', ['web'], ['label']],
    ]);
  });

  it('marks draining and operator-drained endpoints as not routable', () => {
    const web = view.find((entry) => entry.host === 'web.example.com' && entry.pathPrefix === '/');
    expect(web?.endpoints.map((endpoint) => [endpoint.id, endpoint.state, endpoint.routable])).toEqual([
      ['h:web-1:80', 'serving', true],
      ['h:web-2:80', 'draining', false],
    ]);
    const admin = view.find((entry) => entry.host === 'admin.example.com');
    // The edge honours an operator drain at once, without waiting for the bridge to rewrite the record.
    expect(admin?.endpoints).toMatchObject([
      { id: 'h:api-1:80', state: 'draining', operatorDrain: true, routable: false },
    ]);
    expect(admin?.routable).toBe(false);
  });

  it('routes as the edge does: normalised prefixes, wildcard hosts, no UDP or refused addresses', () => {
    const edgeView = buildRouteView(
      snapshotOf({
        '/wharf/services/web/h:web-1:80': endpointValue('web', 'h:web-1:80', {
          routes: [
            { host: 'web.example.com', pathPrefix: '/app/' },
            { host: '*.example.org', pathPrefix: '/' },
          ],
        }),
        '/wharf/services/dns/h:dns-1:53:udp': endpointValue('dns', 'h:dns-1:53:udp', {
          protocol: 'udp',
          routes: [{ host: 'dns.example.com', pathPrefix: '/' }],
        }),
        '/wharf/services/bad/h:bad-1:80': endpointValue('bad', 'h:bad-1:80', {
          address: '0.0.0.0',
          routes: [{ host: 'bad.example.com', pathPrefix: '/' }],
        }),
      }),
      layout,
    );
    expect(
      edgeView.map((entry) => [entry.host, entry.pathPrefix, entry.sources, entry.endpoints.length]),
    ).toEqual([
      ['*.example.org', '/', ['label'], 1],
      ['web.example.com', '/app', ['label'], 1],
    ]);
  });

  it('renders routes with no serving endpoint as 503', () => {
    const text = renderRoutes(view, createPalette(false));
    expect(text).toContain('gone.example.com');
    expect(text.split('\n').find((line) => line.startsWith('gone.example.com'))).toContain(
      'no serving endpoint (503)',
    );
    expect(text).toContain('10.0.0.5:1002 draining');
    expect(text).toContain('10.0.0.5:2001 draining (operator)');
    expect(text.split('\n').find((line) => line.startsWith('admin.example.com'))).toContain(
      'no serving endpoint (503)',
    );
  });
});
