import { formatHostPort, type RegistryState } from '@wharf/core';
import type { EndpointDescription } from '../routing/route-table.js';
import type { RouteRate } from './dashboard-rates.js';
import type { RoutesDocument } from './edge-admin.js';

/** One endpoint as the dashboard shows it: the table's view plus what its record says. */
export interface DashboardEndpoint extends EndpointDescription {
  /** `address:port` (`[v6]:port`): joins the endpoint to its backend's passive health. */
  readonly backend: string;
  /** The bridge's health check, from the record; null when the record carries none or is not at hand. */
  readonly health: { readonly status: string; readonly check: string; readonly since: string } | null;
  readonly node: string | null;
  readonly tags: readonly string[];
  /** An operator drain (`<prefix>/drains/<instance-id>`) of this instance, if any. */
  readonly drain: { readonly reason: string | null; readonly at: string } | null;
}

export interface DashboardRoute {
  /** `host` + `pathPrefix`, as in metrics: the key of this route's rates. */
  readonly id: string;
  readonly pathPrefix: string;
  readonly routable: boolean;
  /** ISO time until which the route is held after losing its last serving endpoint, or null. */
  readonly heldUntil: string | null;
  readonly operatorRoutes: readonly { readonly id: string; readonly service: string }[];
  readonly endpoints: readonly DashboardEndpoint[];
}

export interface DashboardTable {
  readonly revision: number;
  readonly builtAt: string;
  readonly hosts: readonly { readonly host: string; readonly routes: readonly DashboardRoute[] }[];
}

/** The header line: where the table stands against etcd. */
export interface DashboardStatus {
  readonly revision: number;
  readonly synced: boolean;
  readonly ready: boolean;
  /** Seconds since the table was last known to match etcd (0 while the watch is live); null before any sync. */
  readonly syncAgeSeconds: number | null;
  /** `process`: rates and health are this process's; `cluster`: rates sum every worker, the table is one worker's. */
  readonly scope: 'process' | 'cluster';
  readonly workers: number;
  readonly now: string;
}

/** Passive health and load of one backend, sent only for backends that have something to show. */
export interface DashboardBackend {
  readonly active: number;
  readonly ejectedUntil: string | null;
  readonly consecutiveFailures: number;
}

/** The messages on `/events`: `snapshot` on connect, `table` on each change, `tick` about once a second. */
export type DashboardMessage =
  | {
      readonly type: 'snapshot';
      readonly status: DashboardStatus;
      readonly table: DashboardTable;
      readonly tick: DashboardTick;
    }
  | { readonly type: 'table'; readonly status: DashboardStatus; readonly table: DashboardTable }
  | ({ readonly type: 'tick' } & DashboardTick);

export interface DashboardTick {
  readonly status: DashboardStatus;
  readonly rates: Readonly<Record<string, RouteRate>>;
  readonly backends: Readonly<Record<string, DashboardBackend>>;
}

/**
 * The dashboard's table: the `/routes` table with each endpoint's health, node, tags and
 * operator drain looked up in the registry state when there is one (the edge process has it;
 * a cluster primary does not, and shows the table alone).
 */
export function dashboardTable(document: RoutesDocument, registry?: RegistryState): DashboardTable {
  const drains = new Map<string, { reason: string | null; at: string }>();
  if (registry) {
    for (const [key, drain] of registry.drains) {
      const instanceId = key.slice(key.lastIndexOf('/') + 1);
      drains.set(`${drain.service}/${instanceId}`, { reason: drain.reason ?? null, at: drain.at });
    }
  }
  const { table } = document;
  return {
    revision: table.revision,
    builtAt: table.builtAt,
    hosts: table.hosts.map(({ host, routes }) => ({
      host,
      routes: routes.map((route) => ({
        id: host + route.pathPrefix,
        pathPrefix: route.pathPrefix,
        routable: route.routable,
        heldUntil: route.heldUntil,
        operatorRoutes: route.operatorRoutes,
        endpoints: route.endpoints.map((endpoint) => {
          const record = registry?.endpoints.get(endpoint.key);
          return {
            ...endpoint,
            backend: formatHostPort(endpoint.address, endpoint.port),
            health: record?.health
              ? { status: record.health.status, check: record.health.check, since: record.health.since }
              : null,
            node: record?.node ?? null,
            tags: record?.tags ?? [],
            drain: drains.get(`${endpoint.service}/${endpoint.id}`) ?? null,
          };
        }),
      })),
    })),
  };
}

/** The header status from a `/routes` document. */
export function dashboardStatus(
  document: Pick<RoutesDocument, 'revision' | 'synced' | 'syncAgeSeconds'>,
  ready: boolean,
  scope: DashboardStatus['scope'],
  workers: number,
  now: number,
): DashboardStatus {
  return {
    revision: document.revision,
    synced: document.synced,
    ready,
    syncAgeSeconds: document.syncAgeSeconds,
    scope,
    workers,
    now: new Date(now).toISOString(),
  };
}

/** Backends worth showing: in use, failing or ejected. Idle healthy ones are the default and are left out. */
export function dashboardBackends(
  document: Pick<RoutesDocument, 'backends'>,
): Record<string, DashboardBackend> {
  const out: Record<string, DashboardBackend> = {};
  for (const { backend, active, ejectedUntil, consecutiveFailures } of document.backends) {
    if (active > 0 || ejectedUntil !== null || consecutiveFailures > 0)
      out[backend] = { active, ejectedUntil, consecutiveFailures };
  }
  return out;
}

/** One Server-Sent Events frame. Data is JSON, so it never contains a raw newline. */
export function sseFrame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
