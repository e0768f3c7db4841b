import { formatHostPort, type RegistryState } from '@wharf/core';
import type { DashboardBackend, DashboardStatus, DashboardTable } from './browser/dashboard-protocol.js';
import type { RoutesDocument } from './edge-admin.js';

export type {
  DashboardBackend,
  DashboardEndpoint,
  DashboardMessage,
  DashboardRoute,
  DashboardStatus,
  DashboardTable,
  DashboardTick,
} from './browser/dashboard-protocol.js';

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
