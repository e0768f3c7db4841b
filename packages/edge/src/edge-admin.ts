import { type AdminServer, sendJson, sendText } from './admin-server.js';
import type { WatchStatus } from './edge-metrics.js';
import type { LiveRoutes } from './live-routes.js';
import type { RouteTableDescription } from './route-table.js';

export interface EdgeAdminSources {
  /** True once the first full sync has been applied (every worker's, under node:cluster). */
  readonly ready: () => boolean;
  /** Prometheus text for `/metrics`. */
  readonly metrics: () => Promise<string>;
  readonly metricsContentType: string;
  /** The `/routes` document. */
  readonly routes: () => Promise<RoutesDocument> | RoutesDocument;
}

export interface RoutesDocument {
  readonly revision: number;
  /** Seconds since the table was last known to match etcd; null before the first sync. */
  readonly syncAgeSeconds: number | null;
  readonly synced: boolean;
  readonly table: RouteTableDescription;
  readonly backends: readonly {
    readonly backend: string;
    readonly active: number;
    readonly ejectedUntil: string | null;
    readonly consecutiveFailures: number;
  }[];
}

/** Mounts `/healthz`, `/readyz`, `/metrics` and `/routes`. */
export function mountEdgeAdmin(admin: AdminServer, sources: EdgeAdminSources): void {
  admin.mount('/healthz', (_req, res) => sendText(res, 200, 'ok\n'));
  admin.mount('/readyz', (_req, res) =>
    sources.ready() ? sendText(res, 200, 'ready\n') : sendText(res, 503, 'not ready: first sync pending\n'),
  );
  admin.mount('/metrics', async (_req, res) => {
    sendText(res, 200, await sources.metrics(), sources.metricsContentType);
  });
  admin.mount('/routes', async (_req, res) => sendJson(res, 200, await sources.routes()));
}

/** The `/routes` document of one process. */
export function routesDocument(
  routes: LiveRoutes,
  watch: WatchStatus | undefined,
  now = Date.now(),
): RoutesDocument {
  const age = watch?.syncAgeMs(now) ?? 0;
  const backends = [...routes.backends.values()].map((backend) => ({
    backend: backend.key,
    active: backend.active,
    ejectedUntil: backend.health.isEjected(now) ? new Date(backend.health.ejectedUntil).toISOString() : null,
    consecutiveFailures: backend.health.consecutiveFailures,
  }));
  backends.sort((a, b) => a.backend.localeCompare(b.backend));
  return {
    revision: routes.table.revision,
    syncAgeSeconds: Number.isFinite(age) ? age / 1_000 : null,
    synced: watch?.synced ?? true,
    table: routes.table.describe(),
    backends,
  };
}
