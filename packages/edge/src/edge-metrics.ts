import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { LiveRoutes } from './live-routes.js';
import type { RouteStats } from './route-stats.js';

/** What the metrics read about the registry watch; a ServiceWatcher fits. */
export interface WatchStatus {
  readonly revision: number;
  readonly restarts: number;
  readonly synced: boolean;
  syncAgeMs(now?: number): number;
}

export interface EdgeMetricsOptions {
  readonly routes: LiveRoutes;
  readonly stats: RouteStats;
  readonly watch?: WatchStatus;
  /** Process metrics (CPU, memory, event loop); off in unit tests. */
  readonly defaultMetrics?: boolean;
}

/**
 * The edge's Prometheus metrics. Request counts and table-derived gauges are filled at scrape
 * time from plain counters, so the request path never hashes labels. Gauges that every worker
 * reports alike aggregate with `max` under node:cluster; counters sum.
 */
export class EdgeMetrics {
  readonly registry = new Registry();
  readonly upstreamLatency: Histogram;

  constructor(options: EdgeMetricsOptions) {
    const { routes, stats, watch } = options;
    const registers = [this.registry];
    if (options.defaultMetrics ?? true)
      collectDefaultMetrics({ register: this.registry, prefix: 'wharf_edge_' });

    new Counter({
      name: 'wharf_edge_requests_total',
      help: 'Requests answered, by route (host + path prefix, "-" when none matched) and status code.',
      labelNames: ['route', 'status'],
      registers,
      collect() {
        this.reset();
        for (const { route, byStatus } of stats.entries()) {
          for (const [status, count] of byStatus) this.inc({ route, status: String(status) }, count);
        }
      },
    });
    new Counter({
      name: 'wharf_edge_upstream_failures_total',
      help: 'Failed upstream attempts, by kind: connect, reset (broke before a response), timeout, invalid_response.',
      labelNames: ['kind'],
      registers,
      collect() {
        this.reset();
        for (const [kind, count] of stats.failures) this.inc({ kind }, count);
      },
    });
    this.upstreamLatency = new Histogram({
      name: 'wharf_edge_upstream_latency_seconds',
      help: 'Time from sending a request upstream to its response headers.',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    new Gauge({
      name: 'wharf_edge_route_endpoints',
      help: 'Endpoints per route, by state (serving, draining) and passive health (ejected).',
      labelNames: ['route', 'state'],
      aggregator: 'max',
      registers,
      collect() {
        this.reset();
        const now = Date.now();
        const table = routes.table;
        for (const hostRoutes of [...table.exact.values(), ...table.wildcard.values()]) {
          for (const pool of hostRoutes.pools) {
            let serving = 0;
            let draining = 0;
            let ejected = 0;
            for (const endpoint of pool.endpoints) {
              if (endpoint.state === 'serving') serving += 1;
              else draining += 1;
              if (routes.backends.peek(endpoint.backendKey)?.health.isEjected(now)) ejected += 1;
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
