import { Agent, type AgentOptions } from 'node:http';
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
  /**
   * Resolver for backends named by DNS (see `backendLookup`): refuses names that resolve to
   * addresses the edge must not connect to.
   */
  readonly lookup?: AgentOptions['lookup'];
}

/**
 * Everything the edge keeps per backend address:port across route-table rebuilds: the
 * keep-alive connection pool and the passive-health record.
 */
export class Backend {
  readonly key: string;
  readonly health: PassiveHealth;
  /** Requests in flight to this backend. */
  active = 0;
  #retired = false;
  #agent: Agent | undefined;
  readonly #options: BackendOptions;

  constructor(key: string, options: BackendOptions = {}) {
    this.key = key;
    this.#options = options;
    this.health = new PassiveHealth(options.health);
  }

  /**
   * The keep-alive pool, created on first use: an Agent costs ~1.5 KB, and in a registry of
   * 10,000 endpoints most backends may never see a request on this edge.
   */
  get agent(): Agent {
    if (this.#agent === undefined) {
      const options = this.#options;
      this.#agent = new Agent({
        keepAlive: !this.#retired,
        // Small proxied writes must not wait for delayed ACKs (Nagle).
        noDelay: true,
        maxFreeSockets: options.maxFreeSockets ?? 64,
        timeout: options.freeSocketTimeoutMs ?? 4_000,
        scheduling: 'lifo',
        ...(options.lookup ? { lookup: options.lookup } : {}),
      });
    }
    return this.#agent;
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
    const agent = this.#agent;
    if (agent === undefined) return;
    // With keepAlive off the agent destroys each socket as it is released.
    (agent as Agent & { keepAlive: boolean }).keepAlive = false;
    for (const sockets of Object.values(agent.freeSockets)) {
      for (const socket of sockets ?? []) socket.destroy();
    }
  }

  /** Closes every socket, busy ones included (shutdown after the grace period). */
  destroy(): void {
    this.#agent?.destroy();
  }
}
