import { Agent } from 'node:http';
import { PassiveHealth, type PassiveHealthOptions } from './passive-health.js';

export interface BackendOptions {
  /** Idle keep-alive sockets kept per backend. */
  readonly maxFreeSockets?: number;
  /**
   * How long an idle pooled socket is kept. Below Node's default server keep-alive (5 s) so the
   * edge drops a socket before the backend does and rarely writes into a closing one.
   */
  readonly freeSocketTimeoutMs?: number;
  readonly health?: PassiveHealthOptions;
}

/**
 * Everything the edge keeps per backend address:port across route-table rebuilds: the
 * keep-alive connection pool and the passive-health record.
 */
export class Backend {
  readonly key: string;
  readonly agent: Agent;
  readonly health: PassiveHealth;
  /** Requests in flight to this backend. */
  active = 0;
  #retired = false;

  constructor(key: string, options: BackendOptions = {}) {
    this.key = key;
    this.agent = new Agent({
      keepAlive: true,
      // Small proxied writes must not wait for delayed ACKs (Nagle).
      noDelay: true,
      maxFreeSockets: options.maxFreeSockets ?? 64,
      timeout: options.freeSocketTimeoutMs ?? 4_000,
      scheduling: 'lifo',
    });
    this.health = new PassiveHealth(options.health);
  }

  get retired(): boolean {
    return this.#retired;
  }

  /**
   * No endpoint names this backend any more: idle sockets close now and busy ones when their
   * request finishes, so in-flight requests complete.
   */
  retire(): void {
    if (this.#retired) return;
    this.#retired = true;
    // With keepAlive off the agent destroys each socket as it is released.
    (this.agent as Agent & { keepAlive: boolean }).keepAlive = false;
    for (const sockets of Object.values(this.agent.freeSockets)) {
      for (const socket of sockets ?? []) socket.destroy();
    }
  }
}
