import type { EndpointState } from '@wharf/core';
import { pathMatches } from './path-prefix.js';
import { TieredRoundRobin } from './weighted-round-robin.js';

/** One endpoint as a route sees it. `backendKey` (`address:port`) names its shared backend state. */
export interface RouteEndpoint {
  readonly key: string;
  readonly service: string;
  readonly id: string;
  readonly address: string;
  readonly port: number;
  readonly weight: number;
  /** What the edge does with it: `serving` takes new requests (core's `isServing`). */
  readonly state: EndpointState;
  /** An operator drain (`wharf drain`) exists for it: `state` is `draining` because of it. */
  readonly drained: boolean;
  /** Its `zone=<z>` tag, if any. */
  readonly zone: string | undefined;
  readonly backendKey: string;
}

/** An endpoint as `/routes` and `wharf routes` describe it. */
export type EndpointDescription = Omit<RouteEndpoint, 'backendKey'>;

/**
 * How a route is served over HTTPS, merged from every label route and operator route that
 * contributes to it: any one asking for a certificate or a redirect turns it on (a deploy that
 * adds the label takes effect with its first container), and the longest HSTS max-age wins.
 */
export interface RouteTls {
  /** `wharf.tls=auto`: the edges obtain a certificate for the host. */
  readonly auto: boolean;
  /** `wharf.http.redirect=https`: the plain listener answers 308. */
  readonly redirect: boolean;
  /** HSTS max-age in seconds for responses over HTTPS, or undefined. */
  readonly hsts: number | undefined;
}

export const NO_ROUTE_TLS: RouteTls = Object.freeze({ auto: false, redirect: false, hsts: undefined });

/** Merges the TLS fields of the routes behind one pool (see `RouteTls`). */
export function mergeRouteTls(
  routes: Iterable<{
    readonly tls?: 'auto' | 'off' | undefined;
    readonly redirect?: 'https' | undefined;
    readonly hsts?: number | undefined;
  }>,
): RouteTls {
  let auto = false;
  let redirect = false;
  let hsts: number | undefined;
  for (const route of routes) {
    if (route.tls === 'auto') auto = true;
    if (route.redirect === 'https') redirect = true;
    if (route.hsts !== undefined && (hsts === undefined || route.hsts > hsts)) hsts = route.hsts;
  }
  return auto || redirect || hsts !== undefined ? Object.freeze({ auto, redirect, hsts }) : NO_ROUTE_TLS;
}

export interface RoutePoolOptions {
  readonly operatorRoutes?: readonly { id: string; service: string }[];
  /** The edge's zone (`WHARF_ZONE`): its serving endpoints are preferred while any can answer. */
  readonly zone?: string | undefined;
  /**
   * Epoch ms until which a route that lost its last serving endpoint is held (a redeploy in
   * progress): requests to it may wait for an endpoint, then get 503 with Retry-After — never
   * 404. 0 when not held.
   */
  readonly heldUntil?: number;
  readonly tls?: RouteTls;
}

/** Everything that routes one Host + path prefix. Immutable apart from the balancer's position. */
export class RoutePool {
  /** `host` + `pathPrefix`: the route's name in metrics and logs. */
  readonly id: string;
  readonly host: string;
  readonly pathPrefix: string;
  /** Operator routes (`<prefix>/routes/<id>`) that contribute to this pool. */
  readonly operatorRoutes: readonly { readonly id: string; readonly service: string }[];
  /** Every endpoint routed here, serving and draining, sorted by key. */
  readonly endpoints: readonly RouteEndpoint[];
  /**
   * Picks among the serving endpoints (the edge's own zone first); draining ones never get new
   * requests.
   */
  readonly balancer: TieredRoundRobin<RouteEndpoint>;
  /** False when no serving endpoint with a weight above 0 exists: the edge answers 503. */
  readonly routable: boolean;
  /** See `RoutePoolOptions.heldUntil`; 0 when not held. */
  readonly heldUntil: number;
  readonly tls: RouteTls;

  constructor(
    host: string,
    pathPrefix: string,
    endpoints: readonly RouteEndpoint[],
    { operatorRoutes = [], zone, heldUntil = 0, tls = NO_ROUTE_TLS }: RoutePoolOptions = {},
  ) {
    this.id = host + pathPrefix;
    this.host = host;
    this.pathPrefix = pathPrefix;
    this.endpoints = endpoints;
    this.operatorRoutes = operatorRoutes;
    const serving = endpoints.filter((endpoint) => endpoint.state === 'serving');
    this.routable = serving.some((endpoint) => endpoint.weight > 0);
    this.balancer = new TieredRoundRobin(
      serving,
      zone === undefined ? undefined : (endpoint) => endpoint.zone === zone && endpoint.weight > 0,
    );
    this.heldUntil = this.routable ? 0 : heldUntil;
    this.tls = tls;
  }
}

/** The routes of one host, longest path prefix first. */
export class HostRoutes {
  readonly host: string;
  readonly pools: readonly RoutePool[];

  constructor(host: string, pools: readonly RoutePool[]) {
    this.host = host;
    this.pools = [...pools].sort((a, b) => b.pathPrefix.length - a.pathPrefix.length);
  }

  /** The longest prefix that `url` lies under (segment boundaries), or undefined. */
  match(url: string): RoutePool | undefined {
    const pools = this.pools;
    for (let index = 0; index < pools.length; index++) {
      const pool = pools[index]!;
      if (pathMatches(url, pool.pathPrefix)) return pool;
    }
    return undefined;
  }
}

export interface RouteTableDescription {
  readonly revision: number;
  readonly builtAt: string;
  readonly hosts: readonly {
    readonly host: string;
    readonly routes: readonly {
      readonly pathPrefix: string;
      readonly routable: boolean;
      /** ISO time until which a route without serving endpoints is held (503, not 404), or null. */
      readonly heldUntil: string | null;
      readonly operatorRoutes: readonly { readonly id: string; readonly service: string }[];
      /** Present when the route asks for anything over HTTPS. */
      readonly tls?: RouteTls;
      readonly endpoints: readonly EndpointDescription[];
    }[];
  }[];
}

/**
 * An immutable snapshot of every route: exact hosts and wildcard hosts (`*.example.com`,
 * matching one or more labels in front). Built by `RouteTableBuilder`, swapped in by one
 * reference; a request reads it once and routes with two Map lookups and a short prefix list.
 */
export class RouteTable {
  static readonly EMPTY = new RouteTable(new Map(), new Map(), 0, 0);

  readonly exact: ReadonlyMap<string, HostRoutes>;
  /** Keyed by the suffix after `*.`. */
  readonly wildcard: ReadonlyMap<string, HostRoutes>;
  readonly revision: number;
  /** Epoch milliseconds. */
  readonly builtAt: number;

  constructor(
    exact: ReadonlyMap<string, HostRoutes>,
    wildcard: ReadonlyMap<string, HostRoutes>,
    revision: number,
    builtAt: number,
  ) {
    this.exact = exact;
    this.wildcard = wildcard;
    this.revision = revision;
    this.builtAt = builtAt;
  }

  get size(): number {
    return this.exact.size + this.wildcard.size;
  }

  /** The routes for a normalised host: an exact name wins, then the most specific wildcard. */
  findHost(host: string): HostRoutes | undefined {
    const exact = this.exact.get(host);
    if (exact !== undefined || this.wildcard.size === 0) return exact;
    for (let dot = host.indexOf('.'); dot >= 0; dot = host.indexOf('.', dot + 1)) {
      const match = this.wildcard.get(host.slice(dot + 1));
      if (match !== undefined) return match;
    }
    return undefined;
  }

  /** The pool for a normalised host and a request URL; undefined means unknown (404). */
  match(host: string, url: string): RoutePool | undefined {
    return this.findHost(host)?.match(url);
  }

  /** A plain, sorted description: what `/routes` and `wharf routes` show. */
  describe(): RouteTableDescription {
    const all = [...this.exact.values(), ...this.wildcard.values()].sort((a, b) =>
      a.host.localeCompare(b.host),
    );
    return {
      revision: this.revision,
      builtAt: new Date(this.builtAt).toISOString(),
      hosts: all.map((hostRoutes) => ({
        host: hostRoutes.host,
        routes: hostRoutes.pools.map((pool) => ({
          pathPrefix: pool.pathPrefix,
          routable: pool.routable,
          heldUntil: pool.heldUntil > 0 ? new Date(pool.heldUntil).toISOString() : null,
          operatorRoutes: pool.operatorRoutes,
          ...(pool.tls === NO_ROUTE_TLS ? {} : { tls: pool.tls }),
          endpoints: pool.endpoints.map(describeEndpoint),
        })),
      })),
    };
  }

  toJSON(): RouteTableDescription {
    return this.describe();
  }
}

function describeEndpoint(endpoint: RouteEndpoint): EndpointDescription {
  const { key, service, id, address, port, weight, state, drained, zone } = endpoint;
  return { key, service, id, address, port, weight, state, drained, zone };
}
