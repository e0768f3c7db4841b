import {
  type BridgeRecord,
  type DecodeResult,
  type DrainRecord,
  decodeBridgeRecord,
  decodeDrainRecord,
  decodeEndpointRecord,
  decodeRouteRecord,
  type EndpointRecord,
  type KeyLayout,
  listPrefix,
  type RouteRecord,
} from '@wharf/core';
import type { EtcdClient } from './etcd-session.js';

export interface SnapshotEntry<T> {
  readonly key: string;
  readonly record: T;
  /** The etcd lease id (decimal string), `'0'` when the key has none. */
  readonly lease: string;
}

export interface EndpointEntry extends SnapshotEntry<EndpointRecord> {
  readonly service: string;
  readonly instanceId: string;
}

/** Everything valid under the prefix at one revision, as the one-shot commands read it. */
export interface RegistrySnapshot {
  readonly revision: number;
  /** Sorted by service, then instance id. */
  readonly endpoints: readonly EndpointEntry[];
  readonly bridges: readonly (SnapshotEntry<BridgeRecord> & { readonly bridgeId: string })[];
  readonly routes: readonly (SnapshotEntry<RouteRecord> & { readonly routeId: string })[];
  /** Operator drains by instance id. */
  readonly drains: ReadonlyMap<string, DrainRecord>;
  /** Keys under the prefix that were skipped, and why (readers never fail on bad data). */
  readonly skipped: readonly { readonly key: string; readonly reason: string }[];
}

export interface RawKeyValue {
  readonly key: Buffer | string;
  readonly value: Buffer | string;
  readonly lease?: string;
}

/** Everything under the prefix at one revision (one consistent snapshot). */
export async function readRegistrySnapshot(client: EtcdClient, layout: KeyLayout): Promise<RegistrySnapshot> {
  const { kvs, revision } = await listPrefix(client, layout.root);
  return decodeRegistrySnapshot(kvs, layout, revision);
}

export function decodeRegistrySnapshot(
  kvs: readonly RawKeyValue[],
  layout: KeyLayout,
  revision: number,
): RegistrySnapshot {
  const endpoints: EndpointEntry[] = [];
  const bridges: (SnapshotEntry<BridgeRecord> & { bridgeId: string })[] = [];
  const routes: (SnapshotEntry<RouteRecord> & { routeId: string })[] = [];
  const drains = new Map<string, DrainRecord>();
  const skipped: { key: string; reason: string }[] = [];

  for (const kv of kvs) {
    const key = kv.key.toString();
    const lease = kv.lease ?? '0';
    const parsed = layout.parse(key);
    if (!parsed) {
      skipped.push({ key, reason: 'key is not part of the wharf key layout' });
      continue;
    }
    const take = <T>(decoded: DecodeResult<T>): T | undefined => {
      if (decoded.ok) return decoded.record;
      skipped.push({ key, reason: decoded.error.message });
      return undefined;
    };
    switch (parsed.kind) {
      case 'endpoint': {
        const record = take(decodeEndpointRecord(kv.value));
        if (record)
          endpoints.push({ key, record, lease, service: parsed.service, instanceId: parsed.instanceId });
        break;
      }
      case 'bridge': {
        const record = take(decodeBridgeRecord(kv.value));
        if (record) bridges.push({ key, record, lease, bridgeId: parsed.bridgeId });
        break;
      }
      case 'route': {
        const record = take(decodeRouteRecord(kv.value));
        if (record) routes.push({ key, record, lease, routeId: parsed.routeId });
        break;
      }
      case 'drain': {
        const record = take(decodeDrainRecord(kv.value));
        if (record) drains.set(parsed.instanceId, record);
        break;
      }
    }
  }
  endpoints.sort((a, b) => compare(a.service, b.service) || compare(a.instanceId, b.instanceId));
  bridges.sort((a, b) => compare(a.bridgeId, b.bridgeId));
  routes.sort((a, b) => compare(a.routeId, b.routeId));
  return { revision, endpoints, bridges, routes, drains, skipped };
}

export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
