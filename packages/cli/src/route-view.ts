import type { EndpointRecord, KeyLayout } from '@wharf/core';
import { RouteTableBuilder } from '@wharf/edge';
import { compare, type RegistrySnapshot } from './registry-snapshot.js';

export interface RouteViewEndpoint {
  readonly service: string;
  readonly id: string;
  readonly address: string;
  readonly port: number;
  /** Serving or draining by core's `isServing`: an operator drain makes it draining at once. */
  readonly state: EndpointRecord['state'];
  readonly weight: number;
  /** An operator drain exists for this instance: the edge sends it nothing new, whatever its record says. */
  readonly operatorDrain: boolean;
  /** The edge sends it new requests: serving, with a weight above 0. */
  readonly routable: boolean;
}

export interface RouteViewEntry {
  readonly host: string;
  readonly pathPrefix: string;
  readonly services: readonly string[];
  /** `label` for routes carried by endpoint records, `route:<id>` for operator routes. */
  readonly sources: readonly string[];
  /** False when the edge answers 503: no serving endpoint with a weight above 0. */
  readonly routable: boolean;
  readonly endpoints: readonly RouteViewEndpoint[];
}

/**
 * Host + path prefix → endpoints, exactly as the edge routes them: the registry is run through the
 * edge's own `RouteTableBuilder` (label routes, operator routes, path normalisation, wildcard
 * hosts, refused addresses, operator drains through core's `isServing`), then annotated with
 * where each route comes from. Hosts in order, longest prefix first (the order the edge matches in).
 */
export function buildRouteView(snapshot: RegistrySnapshot, layout: KeyLayout): RouteViewEntry[] {
  const table = RouteTableBuilder.fromState(snapshot.state, snapshot.revision, layout).describe();
  const records = snapshot.state.endpoints;

  const entries: RouteViewEntry[] = [];
  for (const { host, routes } of table.hosts) {
    for (const route of routes) {
      const labelled = route.endpoints.some((endpoint) =>
        records
          .get(endpoint.key)
          ?.routes.some((label) => label.host === host && trimSlash(label.pathPrefix) === route.pathPrefix),
      );
      const services = new Set([
        ...route.endpoints.map((endpoint) => endpoint.service),
        ...route.operatorRoutes.map((operatorRoute) => operatorRoute.service),
      ]);
      entries.push({
        host,
        pathPrefix: route.pathPrefix,
        services: [...services].sort(compare),
        sources: [
          ...(labelled ? ['label'] : []),
          ...route.operatorRoutes.map((operatorRoute) => `route:${operatorRoute.id}`),
        ],
        routable: route.routable,
        endpoints: route.endpoints
          .map((endpoint) => ({
            service: endpoint.service,
            id: endpoint.id,
            address: endpoint.address,
            port: endpoint.port,
            state: endpoint.state,
            weight: endpoint.weight,
            operatorDrain: endpoint.drained,
            routable: endpoint.state === 'serving' && endpoint.weight > 0,
          }))
          .sort((a, b) => compare(a.service, b.service) || compare(a.id, b.id)),
      });
    }
  }
  return entries;
}

function trimSlash(prefix: string): string {
  return prefix.length > 1 ? prefix.replace(/\/+$/, '') : prefix;
}
