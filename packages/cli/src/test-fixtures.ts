import { encodeRecord, KeyLayout } from '@wharf/core';
import { decodeRegistrySnapshot, type RawKeyValue, type RegistrySnapshot } from './registry-snapshot.js';

export const layout = new KeyLayout('/wharf');
export const NOW = Date.parse('2026-01-02T03:04:05Z');

export function endpointValue(
  service: string,
  id: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    v: 1,
    service,
    id,
    address: '10.0.0.5',
    port: 32768,
    protocol: 'http',
    node: 'host1',
    bridge: 'host1-bridge',
    tags: [],
    weight: 1,
    routes: [],
    state: 'serving',
    health: { check: 'http GET /health', status: 'passing', since: '2026-01-02T03:00:00Z' },
    registeredAt: '2026-01-02T03:03:35Z',
    ...overrides,
  };
}

/** A snapshot decoded from raw key-values, the way the commands get one from etcd. */
export function snapshotOf(entries: Record<string, unknown>): RegistrySnapshot {
  const kvs: RawKeyValue[] = Object.entries(entries).map(([key, value]) => ({
    key,
    value: typeof value === 'string' ? value : encodeRecord(value as object),
    lease: key.includes('/services/') || key.includes('/bridges/') ? '7587862127227437570' : '0',
  }));
  return decodeRegistrySnapshot(kvs, layout, 42);
}
