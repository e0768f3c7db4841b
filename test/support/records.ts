import {
  type BridgeRecord,
  type DrainRecord,
  type EndpointRecord,
  encodeRecord,
  type KeyLayout,
  RECORD_VERSION,
  type RouteRecord,
} from '@wharf/core';

/** A fixed time for records whose times do not matter, so values are the same on every run. */
export const RECORD_TIME = '2026-01-01T00:00:00.000Z';

export type EndpointFields = Partial<EndpointRecord> & Pick<EndpointRecord, 'service' | 'id'>;

/**
 * A valid endpoint record, as a bridge writes it. Only `service` and `id` are required; the
 * node is the id's first part (`n1:web-1:80` → `n1`) and the bridge `<node>-bridge`, the address
 * 127.0.0.1:8080, no routes, serving. Any field can be overridden.
 */
export function endpointRecord(fields: EndpointFields): EndpointRecord {
  const node = fields.node ?? fields.id.split(':')[0] ?? 'n1';
  // The design's key order, so that encoded values read like the bridge's.
  return {
    v: fields.v ?? RECORD_VERSION,
    service: fields.service,
    id: fields.id,
    address: fields.address ?? '127.0.0.1',
    port: fields.port ?? 8080,
    protocol: fields.protocol ?? 'http',
    node,
    bridge: fields.bridge ?? `${node}-bridge`,
    ...(fields.container === undefined ? {} : { container: fields.container }),
    tags: fields.tags ?? [],
    weight: fields.weight ?? 1,
    routes: fields.routes ?? [],
    state: fields.state ?? 'serving',
    ...(fields.health === undefined ? {} : { health: fields.health }),
    registeredAt: fields.registeredAt ?? RECORD_TIME,
  };
}

/** `endpointRecord(fields)`, encoded as a bridge writes it. */
export function endpointValue(fields: EndpointFields): string {
  return encodeRecord(endpointRecord(fields));
}

/** The key and encoded value of an endpoint record under `layout`. */
export function endpointEntry(layout: KeyLayout, fields: EndpointFields): { key: string; value: string } {
  return { key: layout.endpointKey(fields.service, fields.id), value: endpointValue(fields) };
}

export function bridgeRecord(fields: Partial<BridgeRecord> & Pick<BridgeRecord, 'node'>): BridgeRecord {
  return {
    v: RECORD_VERSION,
    mode: 'host',
    target: null,
    version: '0.1.0',
    startedAt: RECORD_TIME,
    ...fields,
  };
}

export function routeRecord(
  fields: Partial<RouteRecord> & Pick<RouteRecord, 'host' | 'service'>,
): RouteRecord {
  return { v: RECORD_VERSION, pathPrefix: '/', ...fields };
}

export function drainRecord(fields: Partial<DrainRecord> & Pick<DrainRecord, 'service'>): DrainRecord {
  return { v: RECORD_VERSION, at: RECORD_TIME, ...fields };
}
