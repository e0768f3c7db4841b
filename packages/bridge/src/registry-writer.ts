import {
  type BackoffOptions,
  type BridgeRecord,
  type EndpointRecord,
  type EtcdStore,
  encodeRecord,
  type KeyLayout,
  LeaseNotFoundError,
  type Logger,
  RECORD_VERSION,
  type SupervisedRun,
  Supervisor,
  WHARF_VERSION,
  whenAborted,
} from '@wharf/core';
import { LeaseKeeper, LeaseLostError } from './lease-keeper.js';

/** Who this bridge is: what its `<prefix>/bridges/<id>` record says. */
export interface BridgeIdentity {
  readonly id: string;
  readonly node: string;
  readonly mode: BridgeRecord['mode'];
  /** Sidecar mode: the container it follows. */
  readonly target: string | undefined;
}

/** An endpoint by the names its key is made of. */
export interface EndpointName {
  readonly service: string;
  /** The instance id. */
  readonly id: string;
}

export interface RegistryWriterOptions {
  readonly store: EtcdStore;
  readonly layout: KeyLayout;
  readonly bridge: BridgeIdentity;
  readonly ttlSeconds: number;
  readonly logger: Logger;
  /** Delays between lease grants and between write retries (default 200 ms up to 1 s). */
  readonly backoff?: BackoffOptions;
}

const FLUSH_CONCURRENCY = 16;

/** A value that never equals a real record: marks keys whose etcd copy must be rewritten. */
const STALE = '\u0000stale';

/**
 * The bridge's registry adapter: callers hand it endpoint records (`register`, `deregister`,
 * `hold`) and never see a key; it owns the key layout, the encoding, the bridge record and the
 * lease every one of those keys lives on. It compares each wanted value with what it knows is
 * written and puts only differences, so keep-alives and repeated events never rewrite values.
 *
 * It finds what it owns without reading anyone else's keys: the keys attached to its lease
 * (etcd's LeaseTimeToLive), plus those of the lease its bridge record was on before (an earlier
 * run of the same bridge id) and of leases it lost. At start, after any etcd failure and on
 * `resync()` it reads those back and reconciles both ways: wanted keys missing or on another
 * lease are put, keys nothing wants are deleted. A lost lease is replaced by a new one and
 * everything is put again. Aborting revokes the lease, which removes every key at once.
 */
export class RegistryWriter {
  readonly #store: EtcdStore;
  readonly #layout: KeyLayout;
  readonly #bridgeKey: string;
  readonly #ttlSeconds: number;
  readonly #logger: Logger;
  readonly #backoff: BackoffOptions;
  readonly #desired = new Map<string, string>();
  #written = new Map<string, string>();
  readonly #dirty = new Set<string>();
  /** Keys whose container is still waiting for its first check result: not deleted by a reconcile. */
  readonly #held = new Set<string>();
  /** Leases this process lost: keys still on them are stale. */
  readonly #abandoned = new Set<string>();
  #needsReconcile = true;
  #inSync = false;
  #wake: (() => void) | undefined;

  constructor(options: RegistryWriterOptions) {
    this.#store = options.store;
    this.#layout = options.layout;
    this.#ttlSeconds = options.ttlSeconds;
    this.#logger = options.logger.child({ component: 'registry-writer' });
    // Capped low: registrations should be back within about a second of etcd returning.
    this.#backoff = options.backoff ?? { initialMs: 200, maxMs: 1_000 };
    const { id, node, mode, target } = options.bridge;
    this.#bridgeKey = this.#layout.bridgeKey(id);
    const record: BridgeRecord = {
      v: RECORD_VERSION,
      node,
      mode,
      target: target ?? null,
      version: WHARF_VERSION,
      startedAt: new Date().toISOString(),
    };
    this.#set(this.#bridgeKey, encodeRecord(record));
  }

  /** Publishes the endpoint under `<prefix>/services/<service>/<id>`; writes only when it changed. */
  register(record: EndpointRecord): void {
    this.#set(this.#layout.endpointKey(record.service, record.id), encodeRecord(record));
  }

  deregister(endpoint: EndpointName): void {
    const key = this.#layout.endpointKey(endpoint.service, endpoint.id);
    this.#held.delete(key);
    if (!this.#desired.delete(key) && !this.#written.has(key)) return;
    this.#markDirty(key);
  }

  /** Keeps an existing key untouched until `register` or `deregister` decides (checks pending). */
  hold(endpoint: EndpointName): void {
    const key = this.#layout.endpointKey(endpoint.service, endpoint.id);
    if (!this.#desired.has(key)) this.#held.add(key);
  }

  /** Reads etcd back and reconciles before the next write (after a Docker resync). */
  resync(): void {
    this.#needsReconcile = true;
    this.#wake?.();
  }

  /** Runs until `signal` aborts, then revokes the lease; never throws for etcd faults. */
  async run(signal: AbortSignal): Promise<void> {
    await new Supervisor({
      task: (run) => this.#withLease(run),
      logger: this.#logger,
      message: (error) =>
        error instanceof LeaseLostError ? 'lease lost; granting a new one' : 'lease grant failed; retrying',
      backoff: this.#backoff,
    }).run(signal);
  }

  #set(key: string, value: string): void {
    this.#held.delete(key);
    if (this.#desired.get(key) === value) return;
    this.#desired.set(key, value);
    this.#markDirty(key);
  }

  #markDirty(key: string): void {
    this.#dirty.add(key);
    this.#wake?.();
  }

  /** One lease's life: grant, keep alive and keep etcd in sync until the lease is lost or we stop. */
  async #withLease({ signal, healthy }: SupervisedRun): Promise<void> {
    const leaseId = await this.#store.grantLease(this.#ttlSeconds);
    if (signal.aborted) {
      await this.#revoke(leaseId);
      return;
    }
    this.#logger.info({ leaseId, ttlSeconds: this.#ttlSeconds }, 'lease granted');
    this.#needsReconcile = true;
    this.#inSync = false;
    const lost = new AbortController();
    const active = AbortSignal.any([signal, lost.signal]);
    const loseLease = (error: unknown) => {
      if (!lost.signal.aborted) lost.abort(error);
    };
    const keeping = new LeaseKeeper({
      store: this.#store,
      leaseId,
      ttlSeconds: this.#ttlSeconds,
      logger: this.#logger,
    })
      .run(active)
      .catch(loseLease);
    const writing = new Supervisor({
      task: (run) => this.#sync(run, leaseId, loseLease, healthy),
      logger: this.#logger,
      message: 'etcd write failed; retrying',
      backoff: this.#backoff,
      onFailure: () => {
        this.#needsReconcile = true;
        this.#inSync = false;
      },
    }).run(active);
    await Promise.all([keeping, writing]);
    if (signal.aborted) {
      await this.#revoke(leaseId);
      return;
    }
    // Keys still on the lost lease are gone or going; any that linger are found and deleted.
    this.#abandoned.add(leaseId);
    throw lost.signal.reason;
  }

  /** Brings etcd in line with what is wanted, then waits for the next change; repeats. */
  async #sync(
    { signal, healthy }: SupervisedRun,
    leaseId: string,
    loseLease: (error: LeaseLostError) => void,
    leaseHealthy: () => void,
  ): Promise<void> {
    while (!signal.aborted) {
      try {
        if (this.#needsReconcile) await this.#reconcile(leaseId);
        await this.#flush(leaseId);
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof LeaseLostError || error instanceof LeaseNotFoundError) {
          loseLease(
            error instanceof LeaseLostError
              ? error
              : new LeaseLostError(leaseId, 'etcd no longer knows it', { cause: error }),
          );
          return;
        }
        throw error;
      }
      if (!this.#inSync) this.#logger.info({ keys: this.#written.size }, 'registry in sync');
      this.#inSync = true;
      healthy();
      leaseHealthy();
      if (this.#dirty.size === 0 && !this.#needsReconcile) await this.#idle(signal);
    }
  }

  #idle(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let stopListening = () => {};
      const done = () => {
        this.#wake = undefined;
        stopListening();
        resolve();
      };
      this.#wake = done;
      stopListening = whenAborted(signal, done);
    });
  }

  /**
   * Learns what etcd really holds for this bridge — the keys on its lease, and those on the lease
   * of an earlier run (named by the bridge record) or of a lease it lost — so the flush that
   * follows fixes every difference. Nobody else's keys are read.
   */
  async #reconcile(leaseId: string): Promise<void> {
    const current = await this.#store.leaseStatus(leaseId);
    if (!current) throw new LeaseLostError(leaseId, 'etcd no longer knows it');
    const found = new Map<string, string>();
    // Keys on our lease hold what this process wrote there, unless a write's fate is unknown.
    for (const key of current.keys) found.set(key, this.#written.get(key) ?? STALE);

    const earlier = new Set(this.#abandoned);
    const { kvs } = await this.#store.range(this.#bridgeKey);
    const owner = kvs[0]?.lease;
    if (owner !== undefined && owner !== '0' && owner !== leaseId) earlier.add(owner);
    for (const lease of earlier) {
      const status = await this.#store.leaseStatus(lease);
      if (!status) {
        this.#abandoned.delete(lease);
        continue;
      }
      for (const key of status.keys) if (this.#isOurs(key) && !found.has(key)) found.set(key, STALE);
    }

    this.#written = found;
    for (const key of this.#desired.keys()) this.#dirty.add(key);
    for (const key of found.keys()) this.#dirty.add(key);
    this.#needsReconcile = false;
    this.#logger.debug({ keys: found.size, leaseId, earlierLeases: earlier.size }, 'registry read back');
  }

  /** A key a bridge may own: its bridge record or an endpoint. */
  #isOurs(key: string): boolean {
    return key === this.#bridgeKey || this.#layout.parse(key)?.kind === 'endpoint';
  }

  async #flush(leaseId: string): Promise<void> {
    // The bridge record first: any lease that carries endpoints then also names its bridge,
    // which is how a restarted bridge finds what an earlier run left behind.
    if (this.#dirty.delete(this.#bridgeKey)) {
      try {
        await this.#write(leaseId, this.#bridgeKey);
      } catch (error) {
        this.#dirty.add(this.#bridgeKey);
        throw error;
      }
    }
    while (this.#dirty.size > 0) {
      // A few writes in flight at once: re-putting a whole host after an outage stays quick.
      const batch: string[] = [];
      for (const key of this.#dirty) {
        this.#dirty.delete(key);
        batch.push(key);
        if (batch.length === FLUSH_CONCURRENCY) break;
      }
      const results = await Promise.allSettled(batch.map((key) => this.#write(leaseId, key)));
      const failure = results.find((result) => result.status === 'rejected');
      if (failure) {
        results.forEach((result, index) => {
          if (result.status === 'rejected') this.#dirty.add(batch[index] as string);
        });
        throw (failure as PromiseRejectedResult).reason;
      }
    }
  }

  async #write(leaseId: string, key: string): Promise<void> {
    const wanted = this.#desired.get(key);
    const written = this.#written.get(key);
    if (wanted === written) return;
    if (wanted === undefined && this.#held.has(key)) return;
    if (wanted === undefined) {
      await this.#store.delete(key);
      this.#written.delete(key);
      this.#logger.debug({ key }, 'key deleted');
    } else {
      await this.#store.put(key, wanted, { lease: leaseId });
      this.#written.set(key, wanted);
      this.#logger.debug({ key }, 'key written');
    }
  }

  async #revoke(leaseId: string): Promise<void> {
    try {
      await this.#store.revokeLease(leaseId, { timeoutMs: 3_000 });
      this.#logger.info({ leaseId }, 'lease revoked');
    } catch (error) {
      this.#logger.warn({ err: error, leaseId }, 'lease revoke failed; keys expire with the TTL');
    }
  }
}
