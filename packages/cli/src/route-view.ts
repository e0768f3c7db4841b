import type { EndpointRecord } from '@wharf/core';
import { compare, type RegistrySnapshot } from './registry-snapshot.js';

export interface RouteViewEndpoint {
  readonly service: string;
  readonly id: string;
  readonly address: string;
  readonly port: number;
  readonly state: EndpointRecord['state'];
  readonly weight: number;
  /** An operator drain exists for this instance (the edge treats it as draining). */
  readonly operatorDrain: boolean;
  /** Receives new requests: serving, weight above 0, no operator drain. */
  readonly routable: boolean;
}

export interface RouteViewEntry {
  readonly host: string;
  readonly pathPrefix: string;
  readonly services: readonly string[];
  /** `label` for routes carried by endpoint records, `route:<id>` for operator routes. */
  readonly sources: readonly string[];
  readonly endpoints: readonly RouteViewEndpoint[];
}

/**
 * Host + path prefix → endpoints, derived from the registry the way the edge routes: label routes
 * from each endpoint record's `routes`, and operator routes (`<prefix>/routes/*`) to every
 * endpoint of their service. Draining endpoints are listed (they finish in-flight requests) but
 * marked not routable. Sorted by host, then longest prefix first (the order the edge matches).
 */
export function buildRouteView(snapshot: RegistrySnapshot): RouteViewEntry[] {
  const entries = new Map<
    string,
    {
      host: string;
      pathPrefix: string;
      services: Set<string>;
      sources: Set<string>;
      endpoints: Map<string, RouteViewEndpoint>;
    }
  >();
  const entry = (host: string, pathPrefix: string) => {
    const id = `${host}\u0000${pathPrefix}`;
    let found = entries.get(id);
    if (!found) {
      found = { host, pathPrefix, services: new Set(), sources: new Set(), endpoints: new Map() };
      entries.set(id, found);
    }
    return found;
  };
  const view = (record: EndpointRecord): RouteViewEndpoint => {
    const operatorDrain = snapshot.drains.has(record.id);
    return {
      service: record.service,
      id: record.id,
      address: record.address,
      port: record.port,
      state: record.state,
      weight: record.weight,
      operatorDrain,
      routable: record.state === 'serving' && !operatorDrain && record.weight > 0,
    };
  };

  for (const { record } of snapshot.endpoints) {
    for (const route of record.routes) {
      const target = entry(route.host, route.pathPrefix);
      target.services.add(record.service);
      target.sources.add('label');
      target.endpoints.set(record.id, view(record));
    }
  }
  for (const { routeId, record: route } of snapshot.routes) {
    const target = entry(route.host, route.pathPrefix);
    target.services.add(route.service);
    target.sources.add(`route:${routeId}`);
    for (const { record } of snapshot.endpoints) {
      if (record.service === route.service) target.endpoints.set(record.id, view(record));
    }
  }

  return [...entries.values()]
    .map((found) => ({
      host: found.host,
      pathPrefix: found.pathPrefix,
      services: [...found.services].sort(compare),
      sources: [...found.sources].sort(compare),
      endpoints: [...found.endpoints.values()].sort(
        (a, b) => compare(a.service, b.service) || compare(a.id, b.id),
      ),
    }))
    .sort(
      (a, b) =>
        compare(a.host, b.host) ||
        b.pathPrefix.length - a.pathPrefix.length ||
        compare(a.pathPrefix, b.pathPrefix),
    );
}
