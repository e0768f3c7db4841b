import type {
  EndpointRecord,
  HttpRoute,
  KeyLayout,
  Logger,
  RegistryChange,
  RegistryState,
  RouteRecord,
} from '@wharf/core';
import { formatHostPort, isServing, silentLogger, zoneOf } from '@wharf/core';
import { BackendAddressCheck } from './backend-address.js';
import { LayeredMap } from './layered-map.js';
import { normalisePathPrefix } from './path-prefix.js';
import { HostRoutes, mergeRouteTls, type RouteEndpoint, RoutePool, RouteTable } from './route-table.js';

export interface RouteTableBuilderOptions {
  /** Allow endpoints on link-local addresses (169.254.0.0/16, fe80::/10). */
  readonly allowLinkLocal?: boolean;
  /** The edge's zone (`WHARF_ZONE`): endpoints tagged `zone=<it>` are preferred. */
  readonly zone?: string | undefined;
  /**
   * How long a route whose last serving endpoint went away stays known (`WHARF_ROUTE_GRACE`):
   * a redeploy answers 503 (or waits), never 404. 0 forgets it at once.
   */
  readonly graceMs?: number;
  readonly logger?: Logger;
  /** Clock for `builtAt` and grace deadlines; injectable for tests. */
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

/** A label route as the builder keeps it: path normalised, HTTPS fields as the record has them. */
type LabelRoute = Pick<HttpRoute, 'host' | 'pathPrefix' | 'tls' | 'redirect' | 'hsts'>;

interface IndexedEndpoint extends RouteEndpoint {
  readonly routes: readonly LabelRoute[];
  /** The state its bridge wrote; `state` also counts an operator drain. */
  readonly recordState: EndpointRecord['state'];
}

interface OperatorRoute extends LabelRoute {
  readonly id: string;
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
  readonly #zone: string | undefined;
  readonly #graceMs: number;
  readonly #endpoints = new Map<string, IndexedEndpoint>();
  readonly #endpointsByService = new Map<string, Set<string>>();
  readonly #endpointsById = new Map<string, Set<string>>();
  /** Instance ids an operator drains (`<prefix>/drains/<instance-id>`). */
  readonly #drained = new Set<string>();
  /** Host → path prefix → epoch ms until which a route that lost its last serving endpoint is held. */
  readonly #held = new Map<string, Map<string, number>>();
  readonly #labelRoutes: PrefixIndex<string> = new Map();
  /** Label routes with HTTPS fields (few), by host and prefix, so pools need not scan endpoints. */
  readonly #httpsLabelRoutes = new Map<string, Map<string, Map<string, LabelRoute>>>();
  readonly #operatorRoutes = new Map<string, OperatorRoute>();
  readonly #operatorRoutesByHost: PrefixIndex<string> = new Map();
  readonly #operatorHostsByService = new Map<string, Map<string, number>>();
  readonly #backendRefs = new Map<string, number>();
  #table = RouteTable.EMPTY;

  constructor(options: RouteTableBuilderOptions = {}) {
    this.#addressCheck = new BackendAddressCheck(options.allowLinkLocal ?? false);
    this.#logger = (options.logger ?? silentLogger).child({ component: 'route-table-builder' });
    this.#now = options.now ?? Date.now;
    this.#zone = options.zone;
    this.#graceMs = options.graceMs ?? 0;
  }

  /** A table from a whole registry state at once (what `wharf routes` shows). */
  static fromState(
    state: RegistryState,
    revision: number,
    layout: KeyLayout,
    options: RouteTableBuilderOptions = {},
  ): RouteTable {
    const builder = new RouteTableBuilder(options);
    const changes: RegistryChange[] = [];
    const maps = [state.endpoints, state.routes, state.drains] as ReadonlyMap<string, unknown>[];
    for (const map of maps) {
      for (const [key, record] of map) {
        const parsed = layout.parse(key);
        if (parsed === undefined) continue;
        changes.push({
          kind: parsed.kind,
          key,
          parsed,
          current: record,
          previous: undefined,
        } as RegistryChange);
      }
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
      } else if (change.kind === 'drain') {
        this.#setDrained(change.parsed.instanceId, change.current !== undefined, touched);
      }
    }
    return this.#rebuild(touched, batch.revision, added, removed);
  }

  #rebuild(
    touched: ReadonlySet<string>,
    revision: number,
    added: readonly string[],
    removed: readonly string[],
  ): RouteTableResult {
    // A backend dropped and re-added in the same batch (an endpoint rewritten) is neither.
    // (Sets: a re-list diff may add and remove thousands of backends in one batch.)
    const removedSet = new Set(removed);
    const addedBackends = new Set(added.filter((key) => !removedSet.has(key) && this.#backendRefs.has(key)));
    const removedBackends = new Set(removed.filter((key) => !this.#backendRefs.has(key)));

    // Only the touched hosts change: a layered map shares every other host with the previous
    // table instead of copying the host map per batch (see LayeredMap).
    const previous = this.#table;
    const now = this.#now();
    const exactChanges = new Map<string, HostRoutes | undefined>();
    const wildcardChanges = new Map<string, HostRoutes | undefined>();
    for (const host of touched) {
      const wildcard = host.startsWith('*.');
      const before = wildcard ? previous.wildcard.get(host.slice(2)) : previous.exact.get(host);
      const built = this.#buildHost(host, before, now);
      if (wildcard) wildcardChanges.set(host.slice(2), built);
      else exactChanges.set(host, built);
    }
    const exact = exactChanges.size > 0 ? LayeredMap.of(previous.exact).with(exactChanges) : previous.exact;
    const wildcard =
      wildcardChanges.size > 0 ? LayeredMap.of(previous.wildcard).with(wildcardChanges) : previous.wildcard;
    this.#table = new RouteTable(exact, wildcard, revision, now);
    return {
      table: this.#table,
      changedHosts: [...touched],
      addedBackends: [...addedBackends],
      removedBackends: [...removedBackends],
    };
  }

  /** The earliest epoch ms at which a held route is forgotten (`expire`), or undefined. */
  get nextExpiry(): number | undefined {
    let next: number | undefined;
    for (const prefixes of this.#held.values())
      for (const until of prefixes.values()) if (next === undefined || until < next) next = until;
    return next;
  }

  /** Forgets held routes whose grace ran out by `now` (a host may go, 404 from then on). */
  expire(revision = this.#table.revision): RouteTableResult {
    const now = this.#now();
    const touched = new Set<string>();
    for (const [host, prefixes] of this.#held)
      for (const until of prefixes.values()) if (until <= now) touched.add(host);
    return this.#rebuild(touched, revision, [], []);
  }

  #setDrained(instanceId: string, drained: boolean, touched: Set<string>): void {
    if (this.#drained.has(instanceId) === drained) return;
    if (drained) this.#drained.add(instanceId);
    else this.#drained.delete(instanceId);
    for (const key of this.#endpointsById.get(instanceId) ?? []) {
      const endpoint = this.#endpoints.get(key)!;
      this.#endpoints.set(key, {
        ...endpoint,
        drained,
        state: isServing({ state: endpoint.recordState }, drained) ? 'serving' : 'draining',
      });
      for (const route of endpoint.routes) touched.add(route.host);
      this.#touchOperatorHosts(endpoint.service, touched);
    }
  }

  #addEndpoint(key: string, record: EndpointRecord, touched: Set<string>, added: string[]): void {
    if (record.protocol === 'udp') return;
    const refused = this.#addressCheck.refuse(record.address);
    if (refused !== undefined) {
      this.#logger.warn({ key, address: record.address, reason: refused }, 'refusing endpoint address');
      return;
    }
    const routes = dedupeRoutes(record.routes);
    const drained = this.#drained.has(record.id);
    const endpoint: IndexedEndpoint = {
      key,
      service: record.service,
      id: record.id,
      address: record.address,
      port: record.port,
      weight: record.weight,
      state: isServing(record, drained) ? 'serving' : 'draining',
      drained,
      zone: zoneOf(record),
      backendKey: formatHostPort(record.address, record.port),
      routes,
      recordState: record.state,
    };
    this.#endpoints.set(key, endpoint);
    addToSet(this.#endpointsByService, record.service, key);
    addToSet(this.#endpointsById, record.id, key);
    for (const route of routes) {
      addToIndex(this.#labelRoutes, route.host, route.pathPrefix, key);
      if (hasHttpsFields(route)) indexHttpsRoute(this.#httpsLabelRoutes, route, key, true);
      touched.add(route.host);
    }
    this.#touchOperatorHosts(record.service, touched);
    const refs = this.#backendRefs.get(endpoint.backendKey) ?? 0;
    this.#backendRefs.set(endpoint.backendKey, refs + 1);
    if (refs === 0) added.push(endpoint.backendKey);
  }

  #removeEndpoint(key: string, touched: Set<string>, removed: string[]): void {
    const endpoint = this.#endpoints.get(key);
    if (endpoint === undefined) return;
    this.#endpoints.delete(key);
    removeFromSet(this.#endpointsByService, endpoint.service, key);
    removeFromSet(this.#endpointsById, endpoint.id, key);
    for (const route of endpoint.routes) {
      removeFromIndex(this.#labelRoutes, route.host, route.pathPrefix, key);
      if (hasHttpsFields(route)) indexHttpsRoute(this.#httpsLabelRoutes, route, key, false);
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
    const route: OperatorRoute = {
      id,
      host: record.host,
      pathPrefix: normalisePathPrefix(record.pathPrefix),
      service: record.service,
      tls: record.tls,
      redirect: record.redirect,
      hsts: record.hsts,
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

  #buildHost(host: string, before: HostRoutes | undefined, now: number): HostRoutes | undefined {
    const labelPrefixes = this.#labelRoutes.get(host);
    const operatorPrefixes = this.#operatorRoutesByHost.get(host);
    const held = this.#heldPrefixes(host, before, now);
    const prefixes = new Set([
      ...(labelPrefixes?.keys() ?? []),
      ...(operatorPrefixes?.keys() ?? []),
      ...(held?.keys() ?? []),
    ]);
    const pools: RoutePool[] = [];
    for (const prefix of prefixes) {
      const keys = new Set(labelPrefixes?.get(prefix));
      const tlsRoutes: LabelRoute[] = [...(this.#httpsLabelRoutes.get(host)?.get(prefix)?.values() ?? [])];
      const operatorRoutes: { id: string; service: string }[] = [];
      for (const routeKey of operatorPrefixes?.get(prefix) ?? []) {
        const route = this.#operatorRoutes.get(routeKey)!;
        tlsRoutes.push(route);
        operatorRoutes.push({ id: route.id, service: route.service });
        for (const key of this.#endpointsByService.get(route.service) ?? []) keys.add(key);
      }
      const endpoints: RouteEndpoint[] = [...keys].sort().map((key) => this.#endpoints.get(key)!);
      operatorRoutes.sort((a, b) => a.id.localeCompare(b.id));
      const pool = new RoutePool(host, prefix, endpoints, {
        operatorRoutes,
        zone: this.#zone,
        heldUntil: held?.get(prefix) ?? 0,
        tls: mergeRouteTls(tlsRoutes),
      });
      if (pool.routable) held?.delete(prefix);
      pools.push(pool);
    }
    if (held?.size === 0) this.#held.delete(host);
    return pools.length > 0 ? new HostRoutes(host, pools) : undefined;
  }

  /**
   * The path prefixes of `host` held after losing their last serving endpoint, with their
   * deadlines: those that were routable in the table before this batch start their grace now,
   * those already held keep theirs until it runs out.
   */
  #heldPrefixes(host: string, before: HostRoutes | undefined, now: number): Map<string, number> | undefined {
    if (this.#graceMs <= 0) return undefined;
    let held = this.#held.get(host);
    for (const pool of before?.pools ?? []) {
      if (pool.routable) {
        held ??= new Map();
        held.set(pool.pathPrefix, now + this.#graceMs);
      }
    }
    if (held === undefined) return undefined;
    for (const [prefix, until] of held) if (until <= now) held.delete(prefix);
    this.#held.set(host, held);
    return held;
  }
}

function dedupeRoutes(routes: readonly LabelRoute[]): LabelRoute[] {
  if (routes.length === 1) {
    const route = routes[0]!;
    return [{ ...route, pathPrefix: normalisePathPrefix(route.pathPrefix) }];
  }
  const seen = new Map<string, LabelRoute>();
  for (const route of routes) {
    const pathPrefix = normalisePathPrefix(route.pathPrefix);
    seen.set(`${route.host} ${pathPrefix}`, { ...route, pathPrefix });
  }
  return [...seen.values()];
}

function hasHttpsFields(route: LabelRoute): boolean {
  return route.tls !== undefined || route.redirect !== undefined || route.hsts !== undefined;
}

function indexHttpsRoute(
  index: Map<string, Map<string, Map<string, LabelRoute>>>,
  route: LabelRoute,
  key: string,
  add: boolean,
): void {
  let prefixes = index.get(route.host);
  if (prefixes === undefined) {
    if (!add) return;
    prefixes = new Map();
    index.set(route.host, prefixes);
  }
  let routes = prefixes.get(route.pathPrefix);
  if (routes === undefined) {
    if (!add) return;
    routes = new Map();
    prefixes.set(route.pathPrefix, routes);
  }
  if (add) routes.set(key, route);
  else {
    routes.delete(key);
    if (routes.size === 0) prefixes.delete(route.pathPrefix);
    if (prefixes.size === 0) index.delete(route.host);
  }
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
