import { decodeEndpointRecord, encodeRecord } from '@wharf/core';
import { describe, expect, it } from 'vitest';
import type { ContainerFacts } from './container-facts.js';
import { deriveEndpoints } from './endpoint-derivation.js';
import { buildEndpointRecord } from './endpoint-record.js';

const facts: ContainerFacts = {
  id: 'b'.repeat(64),
  name: 'web-1',
  image: 'acme/web:1.4',
  labels: { 'wharf.http.host': 'web.example.com', 'wharf.tags': 'zone=eu-1a', 'wharf.check': 'http:/health' },
  env: [],
  running: true,
  ports: [{ privatePort: 8080, protocol: 'tcp', bindings: [{ hostIp: '0.0.0.0', hostPort: 32768 }] }],
  networks: [],
  health: undefined,
};
const [endpoint] = deriveEndpoints(facts, {
  node: 'host1',
  hostIp: '10.0.0.5',
  hostIpExplicit: true,
  internal: false,
  network: undefined,
  explicit: false,
  overrides: {},
}).endpoints;
if (!endpoint) throw new Error('no endpoint');

const status = {
  node: 'host1',
  bridgeId: 'host1-bridge',
  state: 'serving' as const,
  healthySince: '2026-01-01T00:00:00.000Z',
  registeredAt: '2026-01-01T00:00:01.000Z',
};

describe('buildEndpointRecord', () => {
  it('builds the record of the design, in its key order, and it validates', () => {
    const record = buildEndpointRecord(endpoint, status);
    expect(Object.keys(record)).toEqual([
      'v',
      'service',
      'id',
      'address',
      'port',
      'protocol',
      'node',
      'bridge',
      'container',
      'tags',
      'weight',
      'routes',
      'state',
      'health',
      'registeredAt',
    ]);
    expect(record).toEqual({
      v: 1,
      service: 'web',
      id: 'host1:web-1:8080',
      address: '10.0.0.5',
      port: 32768,
      protocol: 'http',
      node: 'host1',
      bridge: 'host1-bridge',
      container: { id: 'b'.repeat(64), name: 'web-1', image: 'acme/web:1.4' },
      tags: ['zone=eu-1a'],
      weight: 1,
      routes: [{ host: 'web.example.com', pathPrefix: '/' }],
      state: 'serving',
      health: { check: 'http GET /health', status: 'passing', since: '2026-01-01T00:00:00.000Z' },
      registeredAt: '2026-01-01T00:00:01.000Z',
    });
    const decoded = decodeEndpointRecord(encodeRecord(record));
    expect(decoded.ok && decoded.record).toEqual(record);
  });

  it('encodes the same state to the same string, and draining to a different one', () => {
    const first = encodeRecord(buildEndpointRecord(endpoint, status));
    expect(encodeRecord(buildEndpointRecord(endpoint, { ...status }))).toBe(first);
    const draining = encodeRecord(buildEndpointRecord(endpoint, { ...status, state: 'draining' }));
    expect(draining).not.toBe(first);
    expect(JSON.parse(draining).state).toBe('draining');
  });
});
