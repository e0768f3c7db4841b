import type { Logger } from '@wharf/core';
import { silentLogger } from '@wharf/core';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { EdgeConfig } from '../../edge-config.js';
import { cidrList } from '../../edge-config.js';
import { backendLookup } from '../../routing/backend-address.js';
import { RouteTable } from '../../routing/route-table.js';
import type { RouteTableResult } from '../../routing/route-table-builder.js';
import { runTogether } from '../../run-together.js';
import { EMPTY_TLS_STATE, type TlsState } from '../../tls/tls-state.js';
import { AccessLog } from '../access-log.js';
import type { BackendStatus, DataPlane, DataPlaneStats } from '../data-plane.js';
import { RouteStats } from '../route-stats.js';
import { BackendRegistry } from './backend-registry.js';
import { EdgeServer } from './edge-server.js';
import { HostChanges } from './host-changes.js';
import { ProxyHandler } from './proxy-handler.js';
import { StartupGate } from './startup-gate.js';
import { TlsEdgeServer } from './tls-edge-server.js';

export interface BuiltinDataPlaneOptions {
  readonly config: EdgeConfig;
  readonly logger?: Logger;
}

/**
 * The in-process Node proxy: each table is swapped in by one reference and read once per
 * request; per-backend state (keep-alive pool, passive health) lives in a registry keyed by
 * `address:port` that survives every table in between.
 */
export class BuiltinDataPlane implements DataPlane {
  readonly kind = 'builtin' as const;
  readonly backends: BackendRegistry;
  readonly counters = new RouteStats();
  readonly server: EdgeServer;
  /** The HTTPS listener (`WHARF_TLS_LISTEN`), unless off. */
  readonly tlsServer: TlsEdgeServer | undefined;
  readonly #startup = new StartupGate();
  readonly #changes = new HostChanges();
  readonly #accessLog: AccessLog | undefined;
  readonly #latency = new Histogram({
    name: 'wharf_edge_upstream_latency_seconds',
    help: 'Time from sending a request upstream to its response headers.',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [],
  });
  readonly #handshakeFailures = new Counter({
    name: 'wharf_tls_handshake_failures_total',
    help: 'TLS connections refused before a request: no certificate for the SNI, not TLS, protocol or cipher mismatch.',
    labelNames: ['reason'],
    registers: [],
  });
  #table = RouteTable.EMPTY;
  #tls: TlsState = EMPTY_TLS_STATE;

  constructor({ config, logger = silentLogger }: BuiltinDataPlaneOptions) {
    // DNS-named backends are checked again after resolution, when a connection is opened.
    this.backends = new BackendRegistry({
      lookup: backendLookup(config.allowLinkLocal),
      connectTimeoutMs: config.connectTimeoutMs,
      upstreamTimeoutMs: config.upstreamTimeoutMs,
      health: { baseEjectionMs: config.ejectionMs, maxEjectionMs: config.ejectionMs * 30 },
    });
    this.#accessLog = config.accessLog === 'stdout' ? new AccessLog() : undefined;
    const handler = new ProxyHandler({
      table: () => this.#table,
      backends: this.backends,
      trustedProxies: config.trustedProxies.length > 0 ? cidrList(config.trustedProxies) : undefined,
      stats: this.counters,
      observeUpstreamLatency: (seconds) => this.#latency.observe(seconds),
      startup: this.#startup,
      startupWaitMs: config.startupWaitMs,
      changes: this.#changes,
      routeWaitMs: config.routeWaitMs,
      accessLog: this.#accessLog,
      challenges: () => this.#tls.challenges,
      httpsPort: config.tls.redirectPort,
      logger,
    });
    this.server = new EdgeServer({
      listen: config.listen,
      handler,
      headersTimeoutMs: config.headersTimeoutMs,
      idleTimeoutMs: config.idleTimeoutMs,
      shutdownGraceMs: config.shutdownGraceMs,
      logger,
    });
    this.tlsServer =
      config.tls.listen === undefined
        ? undefined
        : new TlsEdgeServer({
            listen: config.tls.listen,
            handler,
            tls: () => this.#tls,
            headersTimeoutMs: config.headersTimeoutMs,
            idleTimeoutMs: config.idleTimeoutMs,
            shutdownGraceMs: config.shutdownGraceMs,
            onHandshakeFailure: (reason) => this.#handshakeFailures.inc({ reason }),
            logger,
          });
  }

  applyTls(state: TlsState): void {
    this.#tls = state;
    this.tlsServer?.update(state);
  }

  apply(change: RouteTableResult): void {
    this.#table = change.table;
    this.backends.update(change.addedBackends, change.removedBackends);
    // Requests held on these hosts' routes (a redeploy in progress) look again.
    this.#changes.changed(change.changedHosts);
  }

  open(): void {
    this.#startup.open();
  }

  get ready(): boolean {
    return this.#startup.isOpen;
  }

  async run(signal: AbortSignal): Promise<void> {
    try {
      const server = this.server;
      const tlsServer = this.tlsServer;
      await runTogether(signal, [
        (running) => server.run(running),
        ...(tlsServer ? [(running: AbortSignal) => tlsServer.run(running)] : []),
      ]);
    } finally {
      this.backends.close();
      this.#accessLog?.close();
    }
  }

  stats(options: { readonly onlyNotable?: boolean } = {}): DataPlaneStats {
    const now = Date.now();
    const backends: BackendStatus[] = [];
    for (const backend of this.backends.values()) {
      const ejected = backend.health.isEjected(now);
      const failures = backend.health.consecutiveFailures;
      if (options.onlyNotable && backend.active === 0 && !ejected && failures === 0) continue;
      backends.push({
        backend: backend.key,
        active: backend.active,
        ejectedUntil: ejected ? new Date(backend.health.ejectedUntil).toISOString() : null,
        consecutiveFailures: failures,
      });
    }
    return { requests: this.counters.entries(), failures: this.counters.failures, backends };
  }

  registerMetrics(registry: Registry): void {
    registry.registerMetric(this.#latency);
    registry.registerMetric(this.#handshakeFailures);
  }
}
