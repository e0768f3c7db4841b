import cluster, { type Worker } from 'node:cluster';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@wharf/core';
import { Backoff, silentLogger } from '@wharf/core';
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
  #stopping = false;

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
    const backoff = new Backoff({ initialMs: 200, maxMs: 10_000 });
    const onMessage = (worker: Worker, message: unknown) => {
      if (!isClusterMessage(message)) return;
      if (message.type === 'wharf:ready') this.#ready.add(worker.id);
      if (message.type === 'wharf:routes-response') {
        this.#pending.get(message.id)?.(message.document);
        this.#pending.delete(message.id);
      }
    };
    cluster.on('message', onMessage);
    const exits = new Set<Promise<void>>();
    const fork = () => {
      const worker = cluster.fork();
      const exited = new Promise<void>((resolve) =>
        worker.once('exit', (code, exitSignal) => {
          this.#ready.delete(worker.id);
          exits.delete(exited);
          resolve();
          if (this.#stopping) return;
          const delayMs = backoff.next();
          this.#logger.error(
            { workerId: worker.id, code, signal: exitSignal, delayMs },
            'worker exited; replacing',
          );
          sleep(delayMs, undefined, { signal }).then(fork, () => {});
        }),
      );
      exits.add(exited);
      // A worker that stays up a while resets the restart backoff.
      worker.once('listening', () => setTimeout(() => backoff.reset(), 30_000).unref());
    };
    for (let index = 0; index < this.#config.workers; index++) fork();
    this.#logger.info({ workers: this.#config.workers }, 'cluster started');
    try {
      await this.health?.listen();
      await this.admin.run(signal);
    } finally {
      await this.health?.close();
      this.#dashboard.close();
      this.#stopping = true;
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
      while (exits.size > 0) await Promise.all([...exits]);
      cluster.off('message', onMessage);
      this.#logger.info('cluster stopped');
    }
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
