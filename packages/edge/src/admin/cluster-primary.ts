import cluster, { type Worker } from 'node:cluster';
import {
  type Logger,
  type SupervisedRun,
  Supervisor,
  silentLogger,
  WharfError,
  whenAborted,
} from '@wharf/core';
import { AggregatorRegistry } from 'prom-client';
import type { EdgeConfig } from '../edge-config.js';
import { AdminServer } from './admin-server.js';
import { Dashboard } from './dashboard.js';
import { clusterRouteCounters } from './dashboard-cluster-counters.js';
import { mountEdgeAdmin, mountHealth, type RoutesDocument } from './edge-admin.js';

/** Messages between the primary and its workers. */
export type ClusterMessage =
  | { type: 'wharf:ready' }
  | { type: 'wharf:routes-request'; id: number }
  | { type: 'wharf:routes-response'; id: number; document: RoutesDocument };

export function isClusterMessage(message: unknown): message is ClusterMessage {
  return (
    typeof message === 'object' &&
    message !== null &&
    String((message as { type?: unknown }).type).startsWith('wharf:')
  );
}

/** A worker that stays up this long resets the restart backoff. */
const HEALTHY_AFTER_MS = 30_000;

/** A worker process ended while the edge was not stopping. */
export class WorkerExitedError extends WharfError {
  constructor(slot: number, workerId: number, code: number | null, signal: string | null) {
    super(
      'WHARF_WORKER_EXITED',
      `worker ${workerId} (slot ${slot + 1}) exited with ${signal ? `signal ${signal}` : `code ${code}`}`,
    );
  }
}

export interface ClusterPrimaryOptions {
  readonly config: EdgeConfig;
  readonly logger?: Logger;
}

/**
 * `WHARF_WORKERS` > 1: forks that many edge processes sharing the public port (each with its
 * own watcher and table) and serves the admin listener itself. `/metrics` aggregates every
 * worker's registry (prom-client's AggregatorRegistry: counters sum, table gauges take the max);
 * `/readyz` is 200 once every worker has synced; `/routes` is worker 1's view. A worker that
 * dies is replaced after a backoff; SIGTERM is passed on and the primary waits for all workers.
 */
export class ClusterPrimary {
  readonly #config: EdgeConfig;
  readonly #logger: Logger;
  readonly #aggregator = new AggregatorRegistry();
  readonly #ready = new Set<number>();
  readonly #pending = new Map<number, (document: RoutesDocument) => void>();
  readonly admin: AdminServer;
  readonly health: AdminServer | undefined;
  readonly #dashboard: Dashboard;
  #nextRequest = 0;

  constructor(options: ClusterPrimaryOptions) {
    this.#config = options.config;
    this.#logger = (options.logger ?? silentLogger).child({ component: 'cluster' });
    this.admin = new AdminServer({ listen: options.config.adminListen, logger: options.logger });
    mountEdgeAdmin(this.admin, {
      ready: () => this.#allReady(),
      metrics: () => this.#aggregator.clusterMetrics(),
      metricsContentType: this.#aggregator.contentType,
      routes: () => this.#routesFromWorker(),
    });
    if (options.config.healthListen) {
      this.health = new AdminServer({ listen: options.config.healthListen, logger: options.logger });
      mountHealth(this.health, () => this.#allReady());
    }
    // Rates sum every worker's counters; the table is one worker's (as `/routes`).
    this.#dashboard = new Dashboard(
      {
        routes: () => this.#routesFromWorker(),
        counters: async () => clusterRouteCounters(await this.#aggregator.clusterMetrics()),
        ready: () => this.#allReady(),
        scope: 'cluster',
        workers: options.config.workers,
      },
      { logger: options.logger },
    ).mount(this.admin);
  }

  async run(signal: AbortSignal): Promise<void> {
    const onMessage = (worker: Worker, message: unknown) => {
      if (!isClusterMessage(message)) return;
      if (message.type === 'wharf:ready') this.#ready.add(worker.id);
      if (message.type === 'wharf:routes-response') {
        this.#pending.get(message.id)?.(message.document);
        this.#pending.delete(message.id);
      }
    };
    cluster.on('message', onMessage);
    // Each worker accepts from the shared socket itself. With Node's default round robin the
    // primary accepts and hands each connection to a worker; one handed to a worker that has
    // just died (and that the primary has not yet seen exit) is never answered and never closed.
    cluster.schedulingPolicy = cluster.SCHED_NONE;
    // Workers also stop when the admin listener fails to start.
    const stopping = new AbortController();
    const unlink = whenAborted(signal, () => stopping.abort());
    // One supervised slot per worker: a worker that dies is replaced after a backoff, which
    // resets once its replacement has stayed up a while.
    const slots = Array.from({ length: this.#config.workers }, (_, slot) =>
      new Supervisor({
        task: (run) => this.#runWorker(slot, run),
        logger: this.#logger,
        message: 'worker exited; replacing',
      }).run(stopping.signal),
    );
    this.#logger.info({ workers: this.#config.workers }, 'cluster started');
    try {
      await this.health?.listen();
      await this.admin.run(signal);
    } finally {
      await this.health?.close();
      this.#dashboard.close();
      stopping.abort();
      unlink();
      await Promise.all(slots);
      cluster.off('message', onMessage);
      this.#logger.info('cluster stopped');
    }
  }

  /** One worker's life: resolves after it stopped because `signal` aborted, rejects if it died. */
  #runWorker(slot: number, { signal, healthy }: SupervisedRun): Promise<void> {
    const worker = cluster.fork();
    const settled = setTimeout(healthy, HEALTHY_AFTER_MS);
    const stop = whenAborted(signal, () => worker.process.kill('SIGTERM'));
    return new Promise<void>((resolve, reject) =>
      worker.once('exit', (code, exitSignal) => {
        clearTimeout(settled);
        stop();
        this.#ready.delete(worker.id);
        if (signal.aborted) resolve();
        else reject(new WorkerExitedError(slot, worker.id, code, exitSignal));
      }),
    );
  }

  #allReady(): boolean {
    const workers = Object.values(cluster.workers ?? {});
    return (
      workers.length === this.#config.workers &&
      workers.every((worker) => worker && this.#ready.has(worker.id))
    );
  }

  async #routesFromWorker(): Promise<RoutesDocument> {
    const worker = Object.values(cluster.workers ?? {})
      .filter((candidate): candidate is Worker => candidate?.isConnected() === true)
      .sort((a, b) => a.id - b.id)[0];
    if (worker === undefined) throw new Error('no worker is running');
    const id = this.#nextRequest++;
    const answer = new Promise<RoutesDocument>((resolve, reject) => {
      this.#pending.set(id, resolve);
      setTimeout(() => {
        if (this.#pending.delete(id)) reject(new Error('worker did not answer'));
      }, 2_000).unref();
    });
    worker.send({ type: 'wharf:routes-request', id } satisfies ClusterMessage);
    return answer;
  }
}
