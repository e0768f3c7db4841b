import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { DataPlane } from '../dataplane/data-plane.js';
import type { LiveRoutes } from '../live-routes.js';

/** What the metrics read about the registry watch; a ServiceWatcher fits. */
export interface WatchStatus {
  readonly revision: number;
  readonly restarts: number;
  readonly synced: boolean;
  syncAgeMs(now?: number): number;
}

export interface EdgeMetricsOptions {
  readonly routes: LiveRoutes;
  readonly plane: DataPlane;
  readonly watch?: WatchStatus;
  /** Process metrics (CPU, memory, event loop); off in unit tests. */
  readonly defaultMetrics?: boolean;
}

/**
 * The edge's Prometheus metrics. Request counts and table-derived gauges are filled at scrape
 * time from the data plane's counters, so the request path never hashes labels. Gauges that
 * every worker reports alike aggregate with `max` under node:cluster; counters sum.
 */
export class EdgeMetrics {
  readonly registry = new Registry();

  constructor(options: EdgeMetricsOptions) {
    const { routes, plane, watch } = options;
    const registers = [this.registry];
    if (options.defaultMetrics ?? true)
      collectDefaultMetrics({ register: this.registry, prefix: 'wharf_edge_' });

    new Counter({
      name: 'wharf_edge_requests_total',
      help: 'Requests answered, by route (host + path prefix, "-" when none matched) and status code.',
      labelNames: ['route', 'status'],
      registers,
      async collect() {
        this.reset();
        for (const { route, byStatus } of (await plane.stats()).requests) {
          for (const [status, count] of byStatus) this.inc({ route, status: String(status) }, count);
        }
      },
    });
    new Counter({
      name: 'wharf_edge_upstream_failures_total',
      help: 'Failed upstream attempts, by kind: connect, reset (broke before a response), timeout, invalid_response.',
      labelNames: ['kind'],
      registers,
      async collect() {
        this.reset();
        for (const [kind, count] of (await plane.stats()).failures) this.inc({ kind }, count);
      },
    });
    plane.registerMetrics(this.registry);
    new Gauge({
      name: 'wharf_edge_route_endpoints',
      help: 'Endpoints per route, by state (serving, draining) and passive health (ejected).',
      labelNames: ['route', 'state'],
      aggregator: 'max',
      registers,
      async collect() {
        this.reset();
        const ejectedBackends = new Set(
          (await plane.stats({ onlyNotable: true })).backends
            .filter((backend) => backend.ejectedUntil !== null)
            .map((backend) => backend.backend),
        );
        const table = routes.table;
        for (const hostRoutes of [...table.exact.values(), ...table.wildcard.values()]) {
          for (const pool of hostRoutes.pools) {
            let serving = 0;
            let draining = 0;
            let ejected = 0;
            for (const endpoint of pool.endpoints) {
              if (endpoint.state === 'serving') serving += 1;
              else draining += 1;
              if (ejectedBackends.has(endpoint.backendKey)) ejected += 1;
            }
            this.set({ route: pool.id, state: 'serving' }, serving);
            this.set({ route: pool.id, state: 'draining' }, draining);
            this.set({ route: pool.id, state: 'ejected' }, ejected);
          }
        }
      },
    });
    new Gauge({
      name: 'wharf_edge_hosts',
      help: 'Hosts in the route table.',
      aggregator: 'max',
      registers,
      collect() {
        this.set(routes.table.size);
      },
    });
    new Gauge({
      name: 'wharf_edge_table_build_seconds',
      help: 'Time the last registry batch took to build into a route table.',
      aggregator: 'max',
      registers,
      collect() {
        this.set(routes.lastBuildMs / 1_000);
      },
    });
    if (watch) {
      new Gauge({
        name: 'wharf_edge_etcd_revision',
        help: 'etcd revision the route table reflects.',
        aggregator: 'max',
        registers,
        collect() {
          this.set(watch.revision);
        },
      });
      new Gauge({
        name: 'wharf_edge_sync_age_seconds',
        help: 'Seconds since the table was last known to match etcd (0 while the watch is live).',
        aggregator: 'max',
        registers,
        collect() {
          const age = watch.syncAgeMs();
          this.set(Number.isFinite(age) ? age / 1_000 : -1);
        },
      });
      new Counter({
        name: 'wharf_edge_watch_reconnects_total',
        help: 'Times the etcd list-and-watch sequence started over after a failure.',
        registers,
        collect() {
          this.reset();
          this.inc(watch.restarts);
        },
      });
    }
  }
}
