import { setTimeout as sleep } from 'node:timers/promises';
import { type EtcdStore, type Logger, WharfError } from '@wharf/core';

/** The bridge's lease is gone, or could not be renewed for long enough that it must be. */
export class LeaseLostError extends WharfError {
  readonly leaseId: string;

  constructor(leaseId: string, why: string, options?: { cause?: unknown }) {
    super('WHARF_LEASE_LOST', `lease ${leaseId} lost: ${why}`, options);
    this.leaseId = leaseId;
  }
}

export interface LeaseKeeperOptions {
  readonly store: EtcdStore;
  readonly leaseId: string;
  readonly ttlSeconds: number;
  readonly logger: Logger;
  /** Injectable clock and wait, so that tests need no real time. */
  readonly now?: () => number;
  readonly wait?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/**
 * Keeps one lease alive: a keep-alive every TTL/3, each its own call with a deadline of half a
 * round, so a member that stops answering (frozen, partitioned without a reset) costs one failed
 * call, and the next one, a sixth of a round later, goes through whichever member answers — well
 * inside the TTL. `run(signal)` resolves when `signal` aborts and rejects, exactly once, with
 * `LeaseLostError` when etcd says the lease is gone or no keep-alive has succeeded for 2 × TTL.
 */
export class LeaseKeeper {
  readonly #options: LeaseKeeperOptions;
  readonly #now: () => number;
  readonly #wait: (ms: number, signal: AbortSignal) => Promise<void>;

  constructor(options: LeaseKeeperOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#wait = options.wait ?? ((ms, signal) => sleep(ms, undefined, { signal }).catch(() => {}));
  }

  async run(signal: AbortSignal): Promise<void> {
    const { store, leaseId, ttlSeconds, logger } = this.#options;
    const roundMs = (ttlSeconds * 1_000) / 3;
    let lastRenewal = this.#now();
    let failures = 0;
    let delayMs = roundMs;
    for (;;) {
      await this.#wait(delayMs, signal);
      if (signal.aborted) return;
      let ttl: number;
      try {
        ttl = await store.keepAliveLease(leaseId, { timeoutMs: roundMs / 2 });
      } catch (error) {
        failures += 1;
        if (this.#now() - lastRenewal >= 2 * ttlSeconds * 1_000) {
          throw new LeaseLostError(leaseId, `no keep-alive succeeded for ${2 * ttlSeconds} s`, {
            cause: error,
          });
        }
        logger.debug({ err: error, leaseId }, 'lease keep-alive failed; trying again');
        delayMs = roundMs / 6;
        continue;
      }
      if (signal.aborted) return;
      if (ttl <= 0) throw new LeaseLostError(leaseId, 'etcd no longer knows it');
      if (failures > 0) logger.info({ leaseId, failures }, 'lease renewed past a silent etcd member');
      lastRenewal = this.#now();
      failures = 0;
      delayMs = roundMs;
    }
  }
}
