import { type EndpointRecord, encodeRecord, KeyLayout } from '@wharf/core';
import { endpointRecord } from '../../../test/support/records.js';
import { decodeRegistrySnapshot, type RawKeyValue, type RegistrySnapshot } from './registry-snapshot.js';

export const layout = new KeyLayout('/wharf');
export const NOW = Date.parse('2026-01-02T03:04:05Z');

/** An endpoint as the CLI's tables show it: on host1, 10.0.0.5:32768, passing, registered 30 s before NOW. */
export function endpointValue(
  service: string,
  id: string,
  overrides: Partial<EndpointRecord> = {},
): EndpointRecord {
  return endpointRecord({
    service,
    id,
    address: '10.0.0.5',
    port: 32768,
    node: 'host1',
    bridge: 'host1-bridge',
    health: { check: 'http GET /health', status: 'passing', since: '2026-01-02T03:00:00Z' },
    registeredAt: '2026-01-02T03:03:35Z',
    ...overrides,
  });
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
