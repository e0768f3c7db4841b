import { hostname } from 'node:os';
import type { EtcdClient, Logger } from '@wharf/core';
import { ServiceWatcher, silentLogger } from '@wharf/core';
import { AdminServer } from './admin/admin-server.js';
import { Dashboard, edgeDashboardSources } from './admin/dashboard.js';
import { mountEdgeAdmin, mountHealth, routesDocument } from './admin/edge-admin.js';
import { EdgeMetrics } from './admin/edge-metrics.js';
import { createDataPlane } from './dataplane/create-data-plane.js';
import type { DataPlane } from './dataplane/data-plane.js';
import { DnsServer } from './dns/dns-server.js';
import type { EdgeConfig } from './edge-config.js';
import { LiveRoutes } from './live-routes.js';
import { runTogether } from './run-together.js';
import { AcmeIssuer } from './tls/acme-issuer.js';
import { CertificateDirectory } from './tls/certificate-directory.js';
import { LiveTls } from './tls/live-tls.js';

export interface EdgeOptions {
  readonly config: EdgeConfig;
  readonly client: EtcdClient;
  readonly logger?: Logger;
  /** Run the admin listener in this process (false in node:cluster workers: the primary serves it). */
  readonly admin?: boolean;
  /** The data plane; by default the one `config.dataplane` names. */
  readonly plane?: DataPlane;
  /** Called once, when the first full sync has been applied. */
  readonly onReady?: () => void;
}

/**
 * One edge: a controller that watches etcd, builds each registry batch into a route table off to
 * the side (`LiveRoutes`) and hands it to the data plane that carries the traffic, plus (unless
 * clustered) the admin listener. `admin` and `routes` are the extension points for more admin
 * pages: mount handlers, subscribe to tables.
 */
export class Edge {
  readonly routes: LiveRoutes;
  /** Certificates and ACME challenges, handed to the data plane (`tls/`). */
  readonly tls: LiveTls;
  readonly #certificateFiles: CertificateDirectory | undefined;
  /** Orders and renews certificates over ACME (`WHARF_ACME_DIRECTORY`); undefined when not set. */
  readonly acme: AcmeIssuer | undefined;
  readonly watcher: ServiceWatcher;
  readonly plane: DataPlane;
  readonly metrics: EdgeMetrics;
  readonly admin: AdminServer | undefined;
  /** `/healthz` and `/readyz` alone, for load balancers (`WHARF_HEALTH_LISTEN`). */
  readonly health: AdminServer | undefined;
  readonly #dashboard: Dashboard | undefined;
  /** The DNS listener, when `WHARF_DNS_LISTEN` is set: fed by the same watch as the routes. */
  readonly dns: DnsServer | undefined;
  readonly #logger: Logger;
  readonly #onReady: (() => void) | undefined;
  #ready = false;

  constructor(options: EdgeOptions) {
    const { config } = options;
    const logger = options.logger ?? silentLogger;
    this.#logger = logger.child({ component: 'edge' });
    this.#onReady = options.onReady;
    this.plane = options.plane ?? createDataPlane(config, logger);
    this.routes = new LiveRoutes({
      allowLinkLocal: config.allowLinkLocal,
      zone: config.zone,
      graceMs: config.routeGraceMs,
      logger,
    });
    // Every table goes to the data plane in order: from the watch, and when a held route expires.
    this.routes.subscribe((_table, result) => this.plane.apply(result));
    this.tls = new LiveTls({ cipher: config.tls.cipher, logger });
    this.tls.subscribe((state) => this.plane.applyTls(state));
    const directory = config.tls.certsDirectory;
    this.#certificateFiles =
      directory === undefined
        ? undefined
        : new CertificateDirectory({
            directory,
            logger,
            onChange: (contents) => this.tls.setFiles(contents),
          });
    const acme = config.tls.acme;
    this.acme =
      acme === undefined
        ? undefined
        : new AcmeIssuer({
            client: options.client,
            layout: config.common.layout,
            config: acme,
            cipher: config.tls.cipher,
            leaseTtlSeconds: config.tls.leaseTtlSeconds,
            holder: `${hostname()}:${process.pid}`,
            certificates: () => this.watcher.state.certificates,
            tls: () => this.tls.state,
            logger,
          });
    this.routes.subscribe((table, result) => this.acme?.routesChanged(table, result.changedHosts));
    const dnsListen = config.dns.listen;
    this.dns = dnsListen
      ? new DnsServer({ listen: dnsListen, config: config.dns, zone: config.zone, logger })
      : undefined;
    this.watcher = new ServiceWatcher({
      client: options.client,
      layout: config.common.layout,
      logger,
      onUpdate: (update) => {
        this.tls.apply(update);
        if (update.changes.some((change) => change.kind === 'certificate')) this.acme?.wake();
        this.routes.apply(update);
        this.dns?.apply(update);
        if (!this.#ready && this.watcher.synced) {
          this.#ready = true;
          this.plane.open();
          this.#logger.info(
            { revision: update.revision, hosts: this.routes.table.size },
            'first sync applied',
          );
          this.#onReady?.();
        }
      },
    });
    this.metrics = new EdgeMetrics({ routes: this.routes, plane: this.plane, watch: this.watcher });
    this.tls.registerMetrics(this.metrics.registry);
    this.dns?.registerMetrics(this.metrics.registry);
    if (options.admin ?? true) {
      this.admin = new AdminServer({ listen: config.adminListen, logger });
      mountEdgeAdmin(this.admin, {
        ready: () => this.ready,
        metrics: () => this.metrics.registry.metrics(),
        metricsContentType: this.metrics.registry.contentType,
        routes: () => routesDocument(this.routes, this.watcher, this.plane),
      });
      this.#dashboard = new Dashboard(edgeDashboardSources(this), { logger }).mount(this.admin);
    }
    if ((options.admin ?? true) && config.healthListen) {
      this.health = new AdminServer({ listen: config.healthListen, logger });
      mountHealth(this.health, () => this.ready);
    }
  }

  /** True once the first full list from etcd has been applied. */
  get ready(): boolean {
    return this.#ready && this.plane.ready;
  }

  /** Serves until `signal` aborts; resolves after in-flight requests finished (or the grace ran out). */
  async run(signal: AbortSignal): Promise<void> {
    // Certificate files are in place before the TLS listener takes its first connection.
    await this.#certificateFiles?.load();
    const stopWatch = new AbortController();
    const watching = this.watcher.run(stopWatch.signal);
    try {
      const admin = this.admin;
      const health = this.health;
      const files = this.#certificateFiles;
      const acme = this.acme;
      const dns = this.dns;
      await runTogether(signal, [
        (running) => this.plane.run(running),
        ...(admin ? [(running: AbortSignal) => admin.run(running)] : []),
        ...(health ? [(running: AbortSignal) => health.run(running)] : []),
        ...(files ? [(running: AbortSignal) => files.run(running)] : []),
        ...(acme ? [(running: AbortSignal) => acme.run(running)] : []),
        ...(dns ? [(running: AbortSignal) => dns.run(running)] : []),
      ]);
    } finally {
      // The table stays live until the last in-flight request is done.
      stopWatch.abort();
      await watching;
      this.#dashboard?.close();
      await this.admin?.close();
      await this.health?.close();
      this.routes.close();
      this.tls.close();
    }
  }
}
