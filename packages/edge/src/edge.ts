import type { Logger } from '@wharf/core';
import { type createEtcdClient, ServiceWatcher, silentLogger } from '@wharf/core';
import { AdminServer } from './admin-server.js';
import { Dashboard, edgeDashboardSources } from './dashboard.js';
import { mountEdgeAdmin, routesDocument } from './edge-admin.js';
import { cidrList, type EdgeConfig } from './edge-config.js';
import { EdgeMetrics } from './edge-metrics.js';
import { EdgeServer } from './edge-server.js';
import { LiveRoutes } from './live-routes.js';
import { ProxyHandler } from './proxy-handler.js';
import { RouteStats } from './route-stats.js';
import { StartupGate } from './startup-gate.js';

export interface EdgeOptions {
  readonly config: EdgeConfig;
  readonly client: ReturnType<typeof createEtcdClient>;
  readonly logger?: Logger;
  /** Run the admin listener in this process (false in node:cluster workers: the primary serves it). */
  readonly admin?: boolean;
  /** Called once, when the first full sync has been applied. */
  readonly onReady?: () => void;
}

/**
 * One edge process: a ServiceWatcher feeding LiveRoutes, the public proxy listener and
 * (unless clustered) the admin listener. `admin`, `routes` and `stats` are the extension points
 * for more admin pages: mount handlers, subscribe to tables, read per-route counters.
 */
export class Edge {
  readonly routes: LiveRoutes;
  readonly stats = new RouteStats();
  readonly watcher: ServiceWatcher;
  readonly metrics: EdgeMetrics;
  readonly handler: ProxyHandler;
  readonly server: EdgeServer;
  readonly admin: AdminServer | undefined;
  readonly #logger: Logger;
  readonly #onReady: (() => void) | undefined;
  readonly #startup = new StartupGate();

  constructor(options: EdgeOptions) {
    const { config } = options;
    const logger = options.logger ?? silentLogger;
    this.#logger = logger.child({ component: 'edge' });
    this.#onReady = options.onReady;
    this.routes = new LiveRoutes({
      allowLinkLocal: config.allowLinkLocal,
      backend: { health: { baseEjectionMs: config.ejectionMs, maxEjectionMs: config.ejectionMs * 30 } },
      logger,
    });
    this.watcher = new ServiceWatcher({
      client: options.client,
      layout: config.common.layout,
      logger,
      onUpdate: (update) => {
        this.routes.apply(update);
        if (!this.#startup.isOpen && this.watcher.synced) {
          this.#startup.open();
          this.#logger.info(
            { revision: update.revision, hosts: this.routes.table.size },
            'first sync applied',
          );
          this.#onReady?.();
        }
      },
    });
    this.metrics = new EdgeMetrics({ routes: this.routes, stats: this.stats, watch: this.watcher });
    const histogram = this.metrics.upstreamLatency;
    this.handler = new ProxyHandler({
      table: () => this.routes.table,
      backends: this.routes.backends,
      trustedProxies: config.trustedProxies.length > 0 ? cidrList(config.trustedProxies) : undefined,
      upstreamTimeoutMs: config.upstreamTimeoutMs,
      stats: this.stats,
      observeUpstreamLatency: (seconds) => histogram.observe(seconds),
      startup: this.#startup,
      startupWaitMs: config.startupWaitMs,
      logger,
    });
    this.server = new EdgeServer({
      listen: config.listen,
      handler: this.handler,
      headersTimeoutMs: config.headersTimeoutMs,
      idleTimeoutMs: config.idleTimeoutMs,
      shutdownGraceMs: config.shutdownGraceMs,
      logger,
    });
    if (options.admin ?? true) {
      this.admin = new AdminServer({ listen: config.adminListen, logger });
      mountEdgeAdmin(this.admin, {
        ready: () => this.ready,
        metrics: () => this.metrics.registry.metrics(),
        metricsContentType: this.metrics.registry.contentType,
        routes: () => routesDocument(this.routes, this.watcher),
      });
      new Dashboard(edgeDashboardSources(this), { logger }).mount(this.admin);
    }
  }

  /** True once the first full list from etcd has been applied. */
  get ready(): boolean {
    return this.#startup.isOpen;
  }

  /** Serves until `signal` aborts; resolves after in-flight requests finished (or the grace ran out). */
  async run(signal: AbortSignal): Promise<void> {
    // If one listener fails (a port in use), the other stops too instead of running alone.
    const parts = new AbortController();
    const stop = () => parts.abort();
    signal.addEventListener('abort', stop, { once: true });
    if (signal.aborted) stop();
    const stopWatch = new AbortController();
    const watching = this.watcher.run(stopWatch.signal);
    const guard = (running: Promise<void> | undefined) =>
      running?.catch((error: unknown) => {
        stop();
        throw error;
      });
    try {
      const results = await Promise.allSettled([
        guard(this.server.run(parts.signal)),
        guard(this.admin?.run(parts.signal)),
      ]);
      const failure = results.find((result) => result.status === 'rejected');
      if (failure) throw failure.reason;
    } finally {
      signal.removeEventListener('abort', stop);
      // The table stays live until the last in-flight request is done.
      stopWatch.abort();
      await watching;
      await this.admin?.close();
      this.routes.close();
    }
  }
}
