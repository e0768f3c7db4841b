import {
  type BridgeRecord,
  type DrainRecord,
  decodeRegistryEntry,
  type EndpointRecord,
  type EtcdClient,
  type KeyLayout,
  listPrefix,
  RegistryContents,
  type RegistryState,
  type RouteRecord,
} from '@wharf/core';

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
  /** Every valid record by kind and key, as a watcher holds them. */
  readonly state: RegistryState;
  /** Sorted by service, then instance id. */
  readonly endpoints: readonly EndpointEntry[];
  readonly bridges: readonly (SnapshotEntry<BridgeRecord> & { readonly bridgeId: string })[];
  readonly routes: readonly (SnapshotEntry<RouteRecord> & { readonly routeId: string })[];
  /** The operator drain (`wharf drain`) of this instance id, if there is one. */
  readonly drainOf: (instanceId: string) => DrainRecord | undefined;
  /** Keys under the prefix that were skipped, and why (readers never fail on bad data). */
  readonly skipped: readonly { readonly key: string; readonly reason: string }[];
}

export interface RawKeyValue {
  readonly key: string;
  readonly value: Buffer | string;
  readonly lease?: string;
}

/** Everything under the prefix at one revision (one consistent snapshot). */
export async function readRegistrySnapshot(client: EtcdClient, layout: KeyLayout): Promise<RegistrySnapshot> {
  const { kvs, revision } = await listPrefix(client, layout.root);
  return decodeRegistrySnapshot(kvs, layout, revision);
}

/** Decodes every key through core's `decodeRegistryEntry`, then lists each kind in a stable order. */
export function decodeRegistrySnapshot(
  kvs: readonly RawKeyValue[],
  layout: KeyLayout,
  revision: number,
): RegistrySnapshot {
  const state = new RegistryContents(layout);
  const leases = new Map<string, string>();
  const skipped: { key: string; reason: string }[] = [];
  for (const kv of kvs) {
    const decoded = decodeRegistryEntry(layout, kv.key, kv.value);
    if (!decoded.ok) {
      skipped.push({ key: decoded.rejected.key, reason: decoded.rejected.reason });
      continue;
    }
    state.set(decoded.entry);
    leases.set(kv.key, kv.lease ?? '0');
  }
  const lease = (key: string) => leases.get(key) ?? '0';
  const endpoints: EndpointEntry[] = [];
  for (const [key, record] of state.endpoints) {
    const parsed = layout.parse(key);
    if (parsed?.kind === 'endpoint')
      endpoints.push({
        key,
        record,
        lease: lease(key),
        service: parsed.service,
        instanceId: parsed.instanceId,
      });
  }
  const bridges: (SnapshotEntry<BridgeRecord> & { bridgeId: string })[] = [];
  for (const [key, record] of state.bridges) {
    const parsed = layout.parse(key);
    if (parsed?.kind === 'bridge')
      bridges.push({ key, record, lease: lease(key), bridgeId: parsed.bridgeId });
  }
  const routes: (SnapshotEntry<RouteRecord> & { routeId: string })[] = [];
  for (const [key, record] of state.routes) {
    const parsed = layout.parse(key);
    if (parsed?.kind === 'route') routes.push({ key, record, lease: lease(key), routeId: parsed.routeId });
  }
  endpoints.sort((a, b) => compare(a.service, b.service) || compare(a.instanceId, b.instanceId));
  bridges.sort((a, b) => compare(a.bridgeId, b.bridgeId));
  routes.sort((a, b) => compare(a.routeId, b.routeId));
  const drainOf = (instanceId: string) => state.drains.get(layout.drainKey(instanceId));
  return { revision, state, endpoints, bridges, routes, drainOf, skipped };
}

export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
