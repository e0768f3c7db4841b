import type { EndpointRecord, Logger, RegistryChange, RegistryState, RouteRecord } from '@wharf/core';
import { silentLogger } from '@wharf/core';
import { BackendAddressCheck } from './backend-address.js';
import { LayeredMap } from './layered-map.js';
import { normalisePathPrefix } from './path-prefix.js';
import { HostRoutes, type RouteEndpoint, RoutePool, RouteTable } from './route-table.js';

export interface RouteTableBuilderOptions {
  /** Allow endpoints on link-local addresses (169.254.0.0/16, fe80::/10). */
  readonly allowLinkLocal?: boolean;
  readonly logger?: Logger;
  /** Clock for `builtAt`; injectable for tests. */
  readonly now?: () => number;
}

export interface RouteTableBatch {
  readonly revision: number;
  readonly changes: readonly RegistryChange[];
}

/** What one batch did: the new table and the backends (`address:port`) it started or stopped using. */
export interface RouteTableResult {
  readonly table: RouteTable;
  readonly changedHosts: readonly string[];
  readonly addedBackends: readonly string[];
  readonly removedBackends: readonly string[];
}

interface IndexedEndpoint extends RouteEndpoint {
  readonly routes: readonly { readonly host: string; readonly pathPrefix: string }[];
}

interface OperatorRoute {
  readonly id: string;
  readonly host: string;
  readonly pathPrefix: string;
  readonly service: string;
}

type PrefixIndex<T> = Map<string, Map<string, Set<T>>>;

/**
 * Turns registry changes into route tables. It keeps indexes by host and by service so that a
 * batch rebuilds only the hosts it touches: the cost of one change is that of its hosts' pools
 * plus one copy of the host map, not that of the whole table. Pure: no sockets, no timers —
 * `wharf routes` uses it to show what the edge sees.
 */
export class RouteTableBuilder {
  readonly #addressCheck: BackendAddressCheck;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #endpoints = new Map<string, IndexedEndpoint>();
  readonly #endpointsByService = new Map<string, Set<string>>();
  readonly #labelRoutes: PrefixIndex<string> = new Map();
  readonly #operatorRoutes = new Map<string, OperatorRoute>();
  readonly #operatorRoutesByHost: PrefixIndex<string> = new Map();
  readonly #operatorHostsByService = new Map<string, Map<string, number>>();
  readonly #backendRefs = new Map<string, number>();
  #table = RouteTable.EMPTY;

  constructor(options: RouteTableBuilderOptions = {}) {
    this.#addressCheck = new BackendAddressCheck(options.allowLinkLocal ?? false);
    this.#logger = (options.logger ?? silentLogger).child({ component: 'route-table-builder' });
    this.#now = options.now ?? Date.now;
  }

  /** A table from a whole registry state at once (what `wharf routes` shows). */
  static fromState(
    state: RegistryState,
    revision: number,
    options: RouteTableBuilderOptions = {},
  ): RouteTable {
    const builder = new RouteTableBuilder(options);
    const changes: RegistryChange[] = [];
    for (const [key, record] of state.endpoints) {
      const [service = '', instanceId = ''] = key.split('/').slice(-2);
      changes.push({
        kind: 'endpoint',
        key,
        parsed: { kind: 'endpoint', service, instanceId },
        current: record,
        previous: undefined,
      });
    }
    for (const [key, record] of state.routes) {
      const routeId = key.split('/').pop() ?? key;
      changes.push({
        kind: 'route',
        key,
        parsed: { kind: 'route', routeId },
        current: record,
        previous: undefined,
      });
    }
    return builder.apply({ revision, changes }).table;
  }

  get table(): RouteTable {
    return this.#table;
  }

  /** Backends in use (`address:port` → number of endpoint records naming it). */
  get backends(): ReadonlyMap<string, number> {
    return this.#backendRefs;
  }

  /** Applies one watch response (or re-list diff) as one batch and returns the new table. */
  apply(batch: RouteTableBatch): RouteTableResult {
    const touched = new Set<string>();
    const added: string[] = [];
    const removed: string[] = [];
    for (const change of batch.changes) {
      if (change.kind === 'endpoint') {
        this.#removeEndpoint(change.key, touched, removed);
        if (change.current) this.#addEndpoint(change.key, change.current, touched, added);
      } else if (change.kind === 'route') {
        this.#removeOperatorRoute(change.key, touched);
        if (change.current)
          this.#addOperatorRoute(change.parsed.routeId, change.key, change.current, touched);
      }
    }
    // A backend dropped and re-added in the same batch (an endpoint rewritten) is neither.
    // (Sets: a re-list diff may add and remove thousands of backends in one batch.)
    const removedSet = new Set(removed);
    const addedBackends = new Set(added.filter((key) => !removedSet.has(key) && this.#backendRefs.has(key)));
    const removedBackends = new Set(removed.filter((key) => !this.#backendRefs.has(key)));

    // Only the touched hosts change: a layered map shares every other host with the previous
    // table instead of copying the host map per batch (see LayeredMap).
    const previous = this.#table;
    const exactChanges = new Map<string, HostRoutes | undefined>();
    const wildcardChanges = new Map<string, HostRoutes | undefined>();
    for (const host of touched) {
      if (host.startsWith('*.')) wildcardChanges.set(host.slice(2), this.#buildHost(host));
      else exactChanges.set(host, this.#buildHost(host));
    }
    const exact = exactChanges.size > 0 ? LayeredMap.of(previous.exact).with(exactChanges) : previous.exact;
    const wildcard =
      wildcardChanges.size > 0 ? LayeredMap.of(previous.wildcard).with(wildcardChanges) : previous.wildcard;
    this.#table = new RouteTable(exact, wildcard, batch.revision, this.#now());
    return {
      table: this.#table,
      changedHosts: [...touched],
      addedBackends: [...addedBackends],
      removedBackends: [...removedBackends],
    };
  }

  #addEndpoint(key: string, record: EndpointRecord, touched: Set<string>, added: string[]): void {
    if (record.protocol === 'udp') return;
    const refused = this.#addressCheck.refuse(record.address);
    if (refused !== undefined) {
      this.#logger.warn({ key, address: record.address, reason: refused }, 'refusing endpoint address');
      return;
    }
    const backendKey = record.address.includes(':')
      ? `[${record.address}]:${record.port}`
      : `${record.address}:${record.port}`;
    const routes = dedupeRoutes(record.routes);
    const endpoint: IndexedEndpoint = {
      key,
      service: record.service,
      id: record.id,
      address: record.address,
      port: record.port,
      weight: record.weight,
      state: record.state,
      backendKey,
      routes,
    };
    this.#endpoints.set(key, endpoint);
    addToSet(this.#endpointsByService, record.service, key);
    for (const route of routes) {
      addToIndex(this.#labelRoutes, route.host, route.pathPrefix, key);
      touched.add(route.host);
    }
    this.#touchOperatorHosts(record.service, touched);
    const refs = this.#backendRefs.get(backendKey) ?? 0;
    this.#backendRefs.set(backendKey, refs + 1);
    if (refs === 0) added.push(backendKey);
  }

  #removeEndpoint(key: string, touched: Set<string>, removed: string[]): void {
    const endpoint = this.#endpoints.get(key);
    if (endpoint === undefined) return;
    this.#endpoints.delete(key);
    removeFromSet(this.#endpointsByService, endpoint.service, key);
    for (const route of endpoint.routes) {
      removeFromIndex(this.#labelRoutes, route.host, route.pathPrefix, key);
      touched.add(route.host);
    }
    this.#touchOperatorHosts(endpoint.service, touched);
    const refs = (this.#backendRefs.get(endpoint.backendKey) ?? 1) - 1;
    if (refs > 0) {
      this.#backendRefs.set(endpoint.backendKey, refs);
    } else {
      this.#backendRefs.delete(endpoint.backendKey);
      removed.push(endpoint.backendKey);
    }
  }

  #touchOperatorHosts(service: string, touched: Set<string>): void {
    const hosts = this.#operatorHostsByService.get(service);
    if (hosts) for (const host of hosts.keys()) touched.add(host);
  }

  #addOperatorRoute(id: string, key: string, record: RouteRecord, touched: Set<string>): void {
    const route = {
      id,
      host: record.host,
      pathPrefix: normalisePathPrefix(record.pathPrefix),
      service: record.service,
    };
    this.#operatorRoutes.set(key, route);
    addToIndex(this.#operatorRoutesByHost, route.host, route.pathPrefix, key);
    const hosts = this.#operatorHostsByService.get(route.service) ?? new Map<string, number>();
    hosts.set(route.host, (hosts.get(route.host) ?? 0) + 1);
    this.#operatorHostsByService.set(route.service, hosts);
    touched.add(route.host);
  }

  #removeOperatorRoute(key: string, touched: Set<string>): void {
    const route = this.#operatorRoutes.get(key);
    if (route === undefined) return;
    this.#operatorRoutes.delete(key);
    removeFromIndex(this.#operatorRoutesByHost, route.host, route.pathPrefix, key);
    const hosts = this.#operatorHostsByService.get(route.service);
    if (hosts) {
      const count = (hosts.get(route.host) ?? 1) - 1;
      if (count > 0) hosts.set(route.host, count);
      else hosts.delete(route.host);
      if (hosts.size === 0) this.#operatorHostsByService.delete(route.service);
    }
    touched.add(route.host);
  }

  #buildHost(host: string): HostRoutes | undefined {
    const labelPrefixes = this.#labelRoutes.get(host);
    const operatorPrefixes = this.#operatorRoutesByHost.get(host);
    if (labelPrefixes === undefined && operatorPrefixes === undefined) return undefined;
    const prefixes = new Set([...(labelPrefixes?.keys() ?? []), ...(operatorPrefixes?.keys() ?? [])]);
    const pools: RoutePool[] = [];
    for (const prefix of prefixes) {
      const keys = new Set(labelPrefixes?.get(prefix));
      const operatorRoutes: { id: string; service: string }[] = [];
      for (const routeKey of operatorPrefixes?.get(prefix) ?? []) {
        const route = this.#operatorRoutes.get(routeKey)!;
        operatorRoutes.push({ id: route.id, service: route.service });
        for (const key of this.#endpointsByService.get(route.service) ?? []) keys.add(key);
      }
      const endpoints: RouteEndpoint[] = [...keys].sort().map((key) => this.#endpoints.get(key)!);
      operatorRoutes.sort((a, b) => a.id.localeCompare(b.id));
      pools.push(new RoutePool(host, prefix, endpoints, operatorRoutes));
    }
    return new HostRoutes(host, pools);
  }
}

function dedupeRoutes(routes: readonly { host: string; pathPrefix: string }[]) {
  if (routes.length === 1)
    return [{ host: routes[0]!.host, pathPrefix: normalisePathPrefix(routes[0]!.pathPrefix) }];
  const seen = new Map<string, { host: string; pathPrefix: string }>();
  for (const route of routes) {
    const pathPrefix = normalisePathPrefix(route.pathPrefix);
    seen.set(`${route.host} ${pathPrefix}`, { host: route.host, pathPrefix });
  }
  return [...seen.values()];
}

function addToSet(map: Map<string, Set<string>>, key: string, value: string): void {
  let set = map.get(key);
  if (set === undefined) {
    set = new Set();
    map.set(key, set);
  }
  set.add(value);
}

function removeFromSet(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key);
  if (set === undefined) return;
  set.delete(value);
  if (set.size === 0) map.delete(key);
}

function addToIndex(index: PrefixIndex<string>, host: string, prefix: string, value: string): void {
  let prefixes = index.get(host);
  if (prefixes === undefined) {
    prefixes = new Map();
    index.set(host, prefixes);
  }
  addToSet(prefixes, prefix, value);
}

function removeFromIndex(index: PrefixIndex<string>, host: string, prefix: string, value: string): void {
  const prefixes = index.get(host);
  if (prefixes === undefined) return;
  removeFromSet(prefixes, prefix, value);
  if (prefixes.size === 0) index.delete(host);
}
