import type { Logger } from '@wharf/core';
import { silentLogger } from '@wharf/core';
import type { RoutePool, RouteTable } from '../../routing/route-table.js';
import { type HaproxyServer, type HaproxySlot, panicTwinName, serverArguments } from './haproxy-config.js';
import { haproxyWeights, isMappablePrefix, routeMapKey, wildcardMapKey } from './haproxy-routes.js';
import { cliArgument } from './runtime-api.js';

/** Paths of the map files, as the Runtime API names them. */
export interface MapPaths {
  readonly hosts: string;
  readonly wildcards: string;
  readonly routes: string;
  readonly slots: string;
  readonly held: string;
  readonly redirect: string;
  readonly hsts: string;
}

export interface HaproxyReconcilerOptions {
  readonly maps: MapPaths;
  readonly ejectionMs: number;
  /**
   * The IP address to connect to for a record's address: the edge resolves DNS names itself
   * and checks what they resolve to. Undefined leaves the endpoint out.
   */
  readonly resolve: (address: string) => string | undefined;
  /** Spare slots added at a time when pools outgrow the configuration (a reload). */
  readonly slotBlock?: number;
  /** The edge's zone (`WHARF_ZONE`): endpoints of other zones are backup servers. */
  readonly zone?: string | undefined;
  readonly logger?: Logger;
}

/** One Runtime API command, one with a payload, or a whole map replaced atomically (prepare, add, commit). */
export type RuntimeStep =
  | { readonly kind: 'command'; readonly command: string }
  /** A command followed by lines (`set ssl cert <file> <<`, then the PEM). */
  | { readonly kind: 'payload'; readonly command: string; readonly payload: readonly string[] }
  | {
      readonly kind: 'replace-map';
      readonly map: string;
      readonly entries: readonly (readonly [string, string])[];
    };

/** One step as one line, for logs and tests: a payload by its first line only (never a key). */
export function describeRuntimeStep(step: RuntimeStep): string {
  if (step.kind === 'command') return step.command;
  if (step.kind === 'payload') return `${step.command} << ${step.payload[0] ?? ''}`;
  return `replace ${step.map} ${JSON.stringify(step.entries)}`;
}

export interface ReconcilePlan {
  /** Commands that take the running HAProxy from the previous state to the new one, in order. */
  readonly steps: readonly RuntimeStep[];
  /** Pools outgrew the slots: render the configuration again and reload instead. */
  readonly reload: boolean;
}

/** The state of HAProxy's map files and backends, as the edge believes it to be. */
export interface HaproxyModelSnapshot {
  readonly slots: readonly HaproxySlot[];
  readonly hosts: readonly (readonly [string, string])[];
  readonly wildcards: readonly (readonly [string, string])[];
  readonly routes: readonly (readonly [string, string])[];
  readonly slotRoutes: readonly (readonly [string, string])[];
  /** Slot → epoch ms until which its route is held without a serving endpoint. */
  readonly held: readonly (readonly [string, string])[];
  /** Slots whose route redirects plain HTTP to HTTPS. */
  readonly redirect: readonly (readonly [string, string])[];
  /** Slot → HSTS max-age of its route. */
  readonly hsts: readonly (readonly [string, string])[];
}

interface ModelServer extends HaproxyServer {
  /** `address:port` as the record gives it: the built-in plane's backend key, for stats. */
  readonly backendKey: string;
  /** Removed from the pool, in maintenance until HAProxy lets it be deleted (no connections). */
  readonly deleting: boolean;
}

interface ModelPool {
  readonly id: string;
  readonly routeKey: string;
  readonly slot: string;
  /** Per-slot map values (held, redirect, HSTS), as HAProxy has them; absent when none. */
  readonly values: Map<keyof SlotMaps, string>;
}

/** The maps that carry a value per slot. */
type SlotMaps = Pick<MapPaths, 'held' | 'redirect' | 'hsts'>;
const SLOT_MAPS: readonly (keyof SlotMaps)[] = ['held', 'redirect', 'hsts'];

/**
 * Keeps a model of what the running HAProxy holds — which pool sits in which slot (backend),
 * its servers, the map entries — and turns route-table changes into the Runtime API commands
 * that bring HAProxy there, host by host. Endpoint changes (add, drain, weight, address,
 * remove) and route changes (hosts, prefixes) are commands; only a pool that finds no free
 * slot asks for a reload, and then the slots grow by a block so the next ones do not.
 *
 * Commands are ordered so no request sees a half-made route: a new pool's servers exist
 * before a map entry points at its slot, and a host's entry is added after its routes and
 * removed before them. Removed servers go to maintenance (in-flight requests finish) and are
 * deleted later, when HAProxy allows it (see `pendingDeletes`). Pure: no sockets, no timers.
 */
export class HaproxyReconciler {
  readonly #maps: MapPaths;
  readonly #ejectionMs: number;
  readonly #resolve: (address: string) => string | undefined;
  readonly #slotBlock: number;
  readonly #zone: string | undefined;
  readonly #logger: Logger;
  /** A change the Runtime API cannot make (a server becoming a backup) was planned. */
  #structural = false;
  readonly #pools = new Map<string, ModelPool>();
  readonly #poolsByHost = new Map<string, Map<string, ModelPool>>();
  readonly #slotNames: string[] = [];
  readonly #free: string[] = [];
  readonly #servers = new Map<string, Map<string, ModelServer>>();
  readonly #exactHosts = new Set<string>();
  readonly #wildcardHosts = new Set<string>();
  readonly #unmappable = new Set<string>();
  /** `slot/name` of the servers passive health has marked down (HAProxy's word, from its log). */
  readonly #down = new Set<string>();

  constructor(options: HaproxyReconcilerOptions) {
    this.#maps = options.maps;
    this.#ejectionMs = options.ejectionMs;
    this.#resolve = options.resolve;
    this.#slotBlock = options.slotBlock ?? 64;
    this.#zone = options.zone;
    this.#logger = (options.logger ?? silentLogger).child({ component: 'haproxy-reconciler' });
    this.#grow(this.#slotBlock);
  }

  /** Backends in the configuration. */
  get slotCount(): number {
    return this.#slotNames.length;
  }

  /** Pools routed now. */
  get poolCount(): number {
    return this.#pools.size;
  }

  /** Which route a slot holds (for stats), or undefined when it is free. */
  routeOfSlot(slot: string): string | undefined {
    for (const pool of this.#pools.values()) if (pool.slot === slot) return pool.id;
    return undefined;
  }

  /** Slot → route id of every pool. */
  slotRoutes(): Map<string, string> {
    const routes = new Map<string, string>();
    for (const pool of this.#pools.values()) routes.set(pool.slot, pool.id);
    return routes;
  }

  /** `slot/server` → backend key (`address:port` of the record) of every server. */
  serverBackends(): Map<string, string> {
    const backends = new Map<string, string>();
    for (const [slot, servers] of this.#servers)
      for (const [name, server] of servers) backends.set(`${slot}/${name}`, server.backendKey);
    return backends;
  }

  /**
   * Brings the model for `hosts` (route hosts: names or `*.suffix`) to what `table` says and
   * returns the commands that do the same to HAProxy.
   */
  plan(table: RouteTable, hosts: Iterable<string>): ReconcilePlan {
    const prepare: RuntimeStep[] = [];
    const route: RuntimeStep[] = [];
    const switchHosts: RuntimeStep[] = [];
    const retire: RuntimeStep[] = [];
    const slotsBefore = this.#slotNames.length;
    // Slots freed here are reused only by later plans: their map entries go last in this one.
    const released: string[] = [];
    let wildcardsChanged = false;
    for (const host of hosts) {
      const hostRoutes = host.startsWith('*.') ? table.wildcard.get(host.slice(2)) : table.exact.get(host);
      const desired = new Map<string, RoutePool>();
      for (const pool of hostRoutes?.pools ?? []) {
        if (isMappablePrefix(pool.pathPrefix)) desired.set(pool.id, pool);
        else if (!this.#unmappable.has(pool.id)) {
          this.#unmappable.add(pool.id);
          this.#logger.warn(
            { route: pool.id },
            'path prefix cannot be routed by haproxy; skipping the route',
          );
        }
      }
      const current = this.#poolsByHost.get(host) ?? new Map<string, ModelPool>();
      for (const [id, pool] of current) {
        if (desired.has(id)) continue;
        retire.push(this.#command(`del map ${this.#maps.routes} ${cliArgument(pool.routeKey)}`));
        retire.push(this.#command(`del map ${this.#maps.slots} ${pool.slot}`));
        for (const name of pool.values.keys())
          retire.push(this.#command(`del map ${this.#maps[name]} ${pool.slot}`));
        this.#syncServers(pool.slot, new Map(), retire, retire);
        current.delete(id);
        this.#pools.delete(id);
        released.push(pool.slot);
      }
      for (const [id, routePool] of desired) {
        let pool = current.get(id);
        if (pool === undefined) {
          if (this.#free.length === 0)
            this.#grow(Math.max(this.#slotBlock, Math.ceil(this.#slotNames.length / 2)));
          const slot = this.#free.pop()!;
          pool = { id, routeKey: routeMapKey(host, routePool.pathPrefix), slot, values: new Map() };
          current.set(id, pool);
          this.#pools.set(id, pool);
          this.#syncServers(slot, this.#desiredServers(routePool, slot), prepare, retire);
          prepare.push(this.#command(`add map ${this.#maps.slots} ${slot} ${cliArgument(id)}`));
          route.push(this.#command(`add map ${this.#maps.routes} ${cliArgument(pool.routeKey)} ${slot}`));
        } else {
          this.#syncServers(pool.slot, this.#desiredServers(routePool, pool.slot), prepare, retire);
        }
        this.#syncSlotValues(pool, routePool, prepare);
      }
      if (current.size > 0) this.#poolsByHost.set(host, current);
      else this.#poolsByHost.delete(host);
      const known = current.size > 0;
      if (host.startsWith('*.')) {
        if (known !== this.#wildcardHosts.has(host)) {
          wildcardsChanged = true;
          if (known) this.#wildcardHosts.add(host);
          else this.#wildcardHosts.delete(host);
        }
      } else if (known && !this.#exactHosts.has(host)) {
        this.#exactHosts.add(host);
        switchHosts.push(this.#command(`add map ${this.#maps.hosts} ${host} ${host}`));
      } else if (!known && this.#exactHosts.has(host)) {
        this.#exactHosts.delete(host);
        switchHosts.push(this.#command(`del map ${this.#maps.hosts} ${host}`));
      }
    }
    if (wildcardsChanged) {
      switchHosts.push({ kind: 'replace-map', map: this.#maps.wildcards, entries: this.#wildcardEntries() });
    }
    this.#free.push(...released);
    const reload = this.#structural || this.#slotNames.length > slotsBefore;
    this.#structural = false;
    return { steps: [...prepare, ...route, ...switchHosts, ...retire], reload };
  }

  /** What to render: every slot with its servers (those being deleted left out) and the maps. */
  snapshot(): HaproxyModelSnapshot {
    const slots = this.#slotNames.map((name) => ({
      name,
      servers: renderedServers((this.#servers.get(name) ?? new Map()).values()).filter(
        (server) => !server.deleting,
      ),
    }));
    const routes: [string, string][] = [];
    const slotRoutes: [string, string][] = [];
    const values = { held: [], redirect: [], hsts: [] } as Record<keyof SlotMaps, [string, string][]>;
    for (const pool of this.#pools.values()) {
      routes.push([pool.routeKey, pool.slot]);
      slotRoutes.push([pool.slot, pool.id]);
      for (const [name, value] of pool.values) values[name].push([pool.slot, value]);
    }
    return {
      slots,
      hosts: [...this.#exactHosts].map((host) => [host, host] as const),
      wildcards: this.#wildcardEntries(),
      routes,
      slotRoutes,
      ...values,
    };
  }

  /** HAProxy restarted or reloaded from the files: servers that were being deleted are gone. */
  reloaded(): void {
    // A new HAProxy takes every server as up, and the twins as the files render them.
    this.#down.clear();
    for (const servers of this.#servers.values()) {
      for (const [name, server] of servers) if (server.deleting) servers.delete(name);
      for (const server of renderedServers(servers.values())) servers.set(server.name, server);
    }
  }

  /**
   * Passive health marked `server` (`slot/name`) down, or a check brought it back. Returns the
   * route hosts to plan again: the state of the pool's panic twins follows its servers' health.
   */
  healthChanged(server: string, down: boolean): string[] {
    if (down) this.#down.add(server);
    else this.#down.delete(server);
    const slot = server.slice(0, server.indexOf('/'));
    const hosts: string[] = [];
    for (const [host, pools] of this.#poolsByHost)
      for (const pool of pools.values()) if (pool.slot === slot) hosts.push(host);
    return hosts;
  }

  /** Servers waiting to be deleted (`slot`, `name`). */
  pendingDeletes(): { slot: string; name: string }[] {
    const pending: { slot: string; name: string }[] = [];
    for (const [slot, servers] of this.#servers) {
      for (const [name, server] of servers) if (server.deleting) pending.push({ slot, name });
    }
    return pending;
  }

  /** HAProxy deleted the server. */
  deleted(slot: string, name: string): void {
    const server = this.#servers.get(slot)?.get(name);
    if (server?.deleting) this.#servers.get(slot)!.delete(name);
  }

  #desiredServers(pool: RoutePool, slot: string): Map<string, ModelServer> {
    const serving = new Set(pool.balancer.items);
    const weights = haproxyWeights(pool.endpoints.map((endpoint) => endpoint.weight));
    const endpoints: ModelServer[] = [];
    const names = new Set<string>();
    pool.endpoints.forEach((endpoint, index) => {
      const address = this.#resolve(endpoint.address);
      if (address === undefined) return;
      let name = endpoint.id;
      for (let suffix = 2; names.has(name); suffix++) name = `${endpoint.id}.${suffix}`;
      names.add(name);
      endpoints.push({
        name,
        address,
        port: endpoint.port,
        weight: weights[index]!,
        ready: serving.has(endpoint),
        backup: this.#zone !== undefined && endpoint.zone !== this.#zone,
        checked: true,
        backendKey: endpoint.backendKey,
        deleting: false,
      });
    });
    const parked = twinsParked(endpoints, (name) => this.#down.has(`${slot}/${name}`));
    const servers = new Map<string, ModelServer>();
    for (const server of endpoints) {
      servers.set(server.name, server);
      const twin = panicTwinName(server.name);
      servers.set(twin, {
        ...server,
        name: twin,
        backup: true,
        checked: false,
        ready: server.ready && !parked,
      });
    }
    return servers;
  }

  /** Commands that turn the slot's servers into `desired` (and the model with them). */
  #syncServers(
    slot: string,
    wanted: ReadonlyMap<string, ModelServer>,
    steps: RuntimeStep[],
    retire: RuntimeStep[],
  ): void {
    let live = this.#servers.get(slot);
    if (live === undefined) {
      live = new Map();
      this.#servers.set(slot, live);
    }
    for (const [name, server] of wanted) {
      const target = `${slot}/${name}`;
      const current = live.get(name);
      if (current !== undefined && current.backup !== server.backup) {
        // `backup` cannot change at run time; such a server is rendered anew (rare: a zone tag changed).
        this.#structural = true;
      } else if (current === undefined) {
        steps.push(this.#command(`add server ${slot}/${serverArguments(server, this.#ejectionMs)}`));
        if (server.checked) steps.push(this.#command(`enable health ${target}`));
        if (server.ready) steps.push(this.#command(`enable server ${target}`));
      } else {
        if (current.address !== server.address || current.port !== server.port) {
          steps.push(this.#command(`set server ${target} addr ${server.address} port ${server.port}`));
        }
        if (current.weight !== server.weight)
          steps.push(this.#command(`set server ${target} weight ${server.weight}`));
        if (current.deleting || current.ready !== server.ready) {
          steps.push(this.#command(`set server ${target} state ${server.ready ? 'ready' : 'drain'}`));
        }
      }
      live.set(name, server);
    }
    for (const [name, server] of live) {
      if (wanted.has(name) || server.deleting) continue;
      // Maintenance: no new requests, those in flight finish; deleted once none is left.
      retire.push(this.#command(`set server ${slot}/${name} state maint`));
      this.#down.delete(`${slot}/${name}`);
      live.set(name, { ...server, deleting: true });
    }
  }

  /**
   * A pool's entries in the per-slot maps: held (no serving endpoint within its grace: until
   * when), redirect (plain HTTP answered 308) and HSTS (its max-age).
   */
  #syncSlotValues(pool: ModelPool, routePool: RoutePool, steps: RuntimeStep[]): void {
    const desired: Record<keyof SlotMaps, string | undefined> = {
      held: routePool.heldUntil > 0 ? String(routePool.heldUntil) : undefined,
      redirect: routePool.tls.redirect ? '1' : undefined,
      hsts: routePool.tls.hsts === undefined ? undefined : String(routePool.tls.hsts),
    };
    for (const name of SLOT_MAPS) {
      const current = pool.values.get(name);
      const value = desired[name];
      if (current === value) continue;
      const map = this.#maps[name];
      if (value === undefined) {
        steps.push(this.#command(`del map ${map} ${pool.slot}`));
        pool.values.delete(name);
        continue;
      }
      steps.push(this.#command(`${current === undefined ? 'add' : 'set'} map ${map} ${pool.slot} ${value}`));
      pool.values.set(name, value);
    }
  }

  #wildcardEntries(): [string, string][] {
    // `map_end` takes the first entry that matches: the longest suffix is the most specific.
    return [...this.#wildcardHosts]
      .map((host) => [wildcardMapKey(host), host] as [string, string])
      .sort((a, b) => b[0].length - a[0].length || a[0].localeCompare(b[0]));
  }

  #grow(count: number): void {
    const start = this.#slotNames.length;
    for (let index = start + count - 1; index >= start; index--) this.#free.push(`p${index}`);
    for (let index = start; index < start + count; index++) this.#slotNames.push(`p${index}`);
  }

  #command(command: string): RuntimeStep {
    return { kind: 'command', command };
  }
}

/**
 * Whether a pool's panic twins are parked (drained) rather than in HAProxy's backup tier. They
 * are there so that a pool whose servers are all down is still tried, as the built-in plane's
 * panic mode does. Alone in the backup tier HAProxy itself keeps them for that moment. Where
 * the tier also holds servers of other zones (`WHARF_ZONE`), the twin of a dead server would
 * take a share of that tier's requests, each waiting out the connect timeout. There the twins
 * are parked while any server the pool routes to is up, and join when none is.
 */
function twinsParked(endpoints: readonly ModelServer[], isDown: (name: string) => boolean): boolean {
  return (
    endpoints.some((server) => server.backup) &&
    endpoints.some((server) => server.ready && !server.deleting && !isDown(server.name))
  );
}

/**
 * A slot's servers as a fresh HAProxy runs them from the files: every server up, so the twins
 * parked where `twinsParked` says.
 */
function renderedServers(servers: Iterable<ModelServer>): ModelServer[] {
  const all = [...servers];
  const endpoints = all.filter((server) => server.checked);
  const parked = twinsParked(endpoints, () => false);
  const endpointOfTwin = new Map(endpoints.map((endpoint) => [panicTwinName(endpoint.name), endpoint]));
  return all.map((server) => {
    if (server.checked) return server;
    return { ...server, ready: (endpointOfTwin.get(server.name)?.ready ?? server.ready) && !parked };
  });
}
