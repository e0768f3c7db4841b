import type { BackendStatus, DataPlane, DataPlaneKind } from '../dataplane/data-plane.js';
import type { LiveRoutes } from '../live-routes.js';
import type { RouteTableDescription } from '../routing/route-table.js';
import { type AdminServer, sendJson, sendText } from './admin-server.js';
import type { WatchStatus } from './edge-metrics.js';

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
  /** Which proxy carries the traffic. */
  readonly dataplane: DataPlaneKind;
  readonly revision: number;
  /** Seconds since the table was last known to match etcd; null before the first sync. */
  readonly syncAgeSeconds: number | null;
  readonly synced: boolean;
  readonly table: RouteTableDescription;
  readonly backends: readonly BackendStatus[];
}

/**
 * Mounts `/healthz` and `/readyz` only: what the health listener (`WHARF_HEALTH_LISTEN`) serves
 * to a load balancer in front of several edges, without `/routes` or `/metrics`.
 */
export function mountHealth(admin: AdminServer, ready: () => boolean): void {
  admin.mount('/healthz', (_req, res) => sendText(res, 200, 'ok\n'));
  admin.mount('/readyz', (_req, res) =>
    ready() ? sendText(res, 200, 'ready\n') : sendText(res, 503, 'not ready: first sync pending\n'),
  );
}

/** Mounts `/healthz`, `/readyz`, `/metrics` and `/routes`. */
export function mountEdgeAdmin(admin: AdminServer, sources: EdgeAdminSources): void {
  mountHealth(admin, sources.ready);
  admin.mount('/metrics', async (_req, res) => {
    sendText(res, 200, await sources.metrics(), sources.metricsContentType);
  });
  admin.mount('/routes', async (_req, res) => sendJson(res, 200, await sources.routes()));
}

/** The `/routes` document of one process. */
export async function routesDocument(
  routes: LiveRoutes,
  watch: WatchStatus | undefined,
  plane: Pick<DataPlane, 'kind' | 'stats'>,
  now = Date.now(),
): Promise<RoutesDocument> {
  const age = watch?.syncAgeMs(now) ?? 0;
  const backends = [...(await plane.stats()).backends].sort((a, b) => a.backend.localeCompare(b.backend));
  return {
    dataplane: plane.kind,
    revision: routes.table.revision,
    syncAgeSeconds: Number.isFinite(age) ? age / 1_000 : null,
    synced: watch?.synced ?? true,
    table: routes.table.describe(),
    backends,
  };
}
