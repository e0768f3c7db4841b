/// <reference path="./undici-pool.d.ts" />
import type { LookupFunction } from 'node:net';
import type { Dispatcher, Pool as PoolType } from 'undici';
import Pool from 'undici/lib/dispatcher/pool.js';
import { PassiveHealth, type PassiveHealthOptions } from './passive-health.js';

export interface BackendOptions {
  /**
   * How long an idle pooled connection is kept when the backend says nothing about it. A
   * backend that announces its own idle timeout (`Keep-Alive: timeout=5`, as Node's servers do)
   * gets 2 s less than it announces, so the edge drops a connection before the backend does
   * and rarely writes into a closing one.
   */
  readonly keepAliveTimeoutMs?: number;
  /** How long opening a connection may take (`WHARF_CONNECT_TIMEOUT`). */
  readonly connectTimeoutMs?: number;
  /** Inactivity while waiting for response headers, then between body chunks (`WHARF_UPSTREAM_TIMEOUT`). */
  readonly upstreamTimeoutMs?: number;
  readonly health?: PassiveHealthOptions;
  /**
   * Resolver for backends named by DNS (see `backendLookup`): refuses names that resolve to
   * addresses the edge must not connect to. Node calls it for names only, never for IPs.
   */
  readonly lookup?: LookupFunction;
}

/** Something in flight to a backend that `dropConnections` may cancel: a request still waiting for its response. */
export interface Cancellable {
  /** Cancels it when it can be replayed elsewhere; returns false when it must run its course. */
  cancelIfReplayable(reason: Error): boolean;
}

/**
 * Everything the edge keeps per backend address:port across route-table rebuilds: the
 * keep-alive connection pool (undici), the passive-health record and the requests waiting for
 * its answer.
 */
export class Backend {
  readonly key: string;
  readonly health: PassiveHealth;
  /** Requests in flight to this backend. */
  active = 0;
  /** Requests sent here and still waiting for response headers. */
  readonly awaiting = new Set<Cancellable>();
  #retired = false;
  #pool: PoolType | undefined;
  readonly #options: BackendOptions;

  constructor(key: string, options: BackendOptions = {}) {
    this.key = key;
    this.#options = options;
    this.health = new PassiveHealth(options.health);
  }

  /**
   * The keep-alive pool, created on first use: in a registry of 10,000 endpoints most backends
   * may never see a request on this edge.
   */
  get pool(): Dispatcher {
    if (this.#pool === undefined) {
      const options = this.#options;
      this.#pool = new Pool(`http://${this.key}`, {
        connect: {
          timeout: options.connectTimeoutMs ?? 1_000,
          ...(options.lookup ? { lookup: options.lookup } : {}),
        },
        keepAliveTimeout: options.keepAliveTimeoutMs ?? 4_000,
        headersTimeout: options.upstreamTimeoutMs ?? 60_000,
        bodyTimeout: options.upstreamTimeoutMs ?? 60_000,
      });
      if (this.#retired) void this.#pool.close();
    }
    return this.#pool;
  }

  get retired(): boolean {
    return this.#retired;
  }

  /**
   * The backend stopped answering at the network level (connections time out): the requests
   * waiting on its open connections are as good as lost. Those that can be replayed are
   * cancelled (and go elsewhere), and later requests get fresh connections; the old ones close
   * once what still runs on them is done.
   */
  dropConnections(reason: Error): number {
    let cancelled = 0;
    for (const request of [...this.awaiting]) if (request.cancelIfReplayable(reason)) cancelled += 1;
    const pool = this.#pool;
    this.#pool = undefined;
    void pool?.close();
    return cancelled;
  }

  /**
   * No endpoint names this backend any more: idle connections close now and busy ones when their
   * request finishes, so in-flight requests complete.
   */
  retire(): void {
    if (this.#retired) return;
    this.#retired = true;
    void this.#pool?.close();
  }

  /** Closes every connection, busy ones included (shutdown after the grace period). */
  destroy(): void {
    void this.#pool?.destroy();
  }
}
