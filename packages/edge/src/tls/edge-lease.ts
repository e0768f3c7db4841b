import type { EtcdClient, Logger } from '@wharf/core';

type Lease = ReturnType<EtcdClient['lease']>;

/**
 * The edge's own etcd lease, granted on first use and kept alive: its ACME issuance locks and
 * pending challenges live on it, so an edge that dies takes them along after one TTL and another
 * edge can finish the order. A lost lease is granted anew on the next use.
 */
export class EdgeLease {
  readonly #client: EtcdClient;
  readonly #ttlSeconds: number;
  readonly #logger: Logger;
  #lease: Lease | undefined;
  #id: Promise<string> | undefined;

  constructor(client: EtcdClient, ttlSeconds: number, logger: Logger) {
    this.#client = client;
    this.#ttlSeconds = ttlSeconds;
    this.#logger = logger;
  }

  /** The lease id (decimal string), granting a lease when there is none. */
  id(): Promise<string> {
    if (this.#id === undefined) {
      const lease = this.#client.lease(this.#ttlSeconds, { autoKeepAlive: true });
      this.#lease = lease;
      lease.on('lost', (error: Error) => {
        if (this.#lease !== lease) return;
        this.#logger.warn(
          { code: (error as { code?: string }).code ?? error.name },
          'edge lease lost; its locks and challenges are gone',
        );
        this.#lease = undefined;
        this.#id = undefined;
      });
      this.#id = lease.grant().catch((error: unknown) => {
        if (this.#lease === lease) {
          this.#lease = undefined;
          this.#id = undefined;
        }
        throw error;
      });
    }
    return this.#id;
  }

  /** True while the lease is granted and kept alive. */
  get held(): boolean {
    return this.#lease !== undefined && !this.#lease.revoked();
  }

  /** Revokes the lease (its keys disappear at once). Idempotent; never throws. */
  async revoke(): Promise<void> {
    const lease = this.#lease;
    this.#lease = undefined;
    this.#id = undefined;
    await lease?.revoke().catch(() => {});
  }
}
