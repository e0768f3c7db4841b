import { setTimeout as sleep } from 'node:timers/promises';
import { Backoff, type createEtcdClient, type KeyLayout, type Logger, whenAborted } from '@wharf/core';
import { guardLease } from './lease-guard.js';

type Etcd = ReturnType<typeof createEtcdClient>;
type Lease = ReturnType<Etcd['lease']>;

export interface RegistryWriterOptions {
  readonly client: Etcd;
  readonly layout: KeyLayout;
  readonly bridgeId: string;
  readonly ttlSeconds: number;
  readonly logger: Logger;
  readonly backoff?: Backoff;
}

const FLUSH_CONCURRENCY = 16;

/** A value that never equals a real record: marks keys whose etcd copy must be rewritten. */
const STALE = '\u0000stale';

/**
 * Owns this bridge's lease and every key on it. Callers state what they want (`set`, `delete`);
 * the writer compares each wanted value with what it knows is written and puts only differences,
 * so keep-alives and repeated events never rewrite values.
 *
 * On start, after any etcd failure and on `resync()` it reads back the keys carrying this
 * bridge's id and reconciles both ways: wanted keys missing or on another lease are put,
 * keys nothing wants (a previous run's, a removed container's) are deleted. A lost lease is
 * replaced by a new one and everything is put again. Aborting revokes the lease, which removes
 * every key of this bridge at once.
 */
export class RegistryWriter {
  readonly #client: Etcd;
  readonly #layout: KeyLayout;
  readonly #bridgeId: string;
  readonly #ttlSeconds: number;
  readonly #logger: Logger;
  readonly #backoff: Backoff;
  readonly #desired = new Map<string, string>();
  readonly #written = new Map<string, string>();
  readonly #dirty = new Set<string>();
  /** Keys whose container is still waiting for its first check result: not deleted by a reconcile. */
  readonly #held = new Set<string>();
  #needsReconcile = true;
  #wake: (() => void) | undefined;
  #connected = false;

  constructor(options: RegistryWriterOptions) {
    this.#client = options.client;
    this.#layout = options.layout;
    this.#bridgeId = options.bridgeId;
    this.#ttlSeconds = options.ttlSeconds;
    this.#logger = options.logger.child({ component: 'registry-writer' });
    // Capped low: registrations should be back within about a second of etcd returning.
    this.#backoff = options.backoff ?? new Backoff({ initialMs: 200, maxMs: 1_000 });
  }

  /** True while a lease is held and the last write succeeded. */
  get connected(): boolean {
    return this.#connected;
  }

  set(key: string, value: string): void {
    this.#held.delete(key);
    if (this.#desired.get(key) === value) return;
    this.#desired.set(key, value);
    this.#markDirty(key);
  }

  delete(key: string): void {
    this.#held.delete(key);
    if (!this.#desired.delete(key) && !this.#written.has(key)) return;
    this.#markDirty(key);
  }

  /** Keeps an existing key untouched until `set` or `delete` decides (container checks pending). */
  hold(key: string): void {
    if (!this.#desired.has(key)) this.#held.add(key);
  }

  /** Reads etcd back and reconciles before the next write (after a Docker resync). */
  resync(): void {
    this.#needsReconcile = true;
    this.#wake?.();
  }

  #markDirty(key: string): void {
    this.#dirty.add(key);
    this.#wake?.();
  }

  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let lease: Lease | undefined;
      let lost = false;
      let granted = false;
      try {
        lease = this.#client.lease(this.#ttlSeconds);
        lease.on('lost', (error: Error) => {
          lost = true;
          this.#connected = false;
          // A failed grant also reports "lost"; that case is logged once, below.
          if (granted) this.#logger.warn({ err: error }, 'lease lost; granting a new one');
          this.#wake?.();
        });
        const leaseId = String(await lease.grant());
        granted = true;
        this.#logger.info({ leaseId, ttlSeconds: this.#ttlSeconds }, 'lease granted');
        this.#needsReconcile = true;
        const unguard = guardLease(lease, this.#ttlSeconds, this.#logger);
        try {
          await this.#serve(lease, leaseId, signal, () => lost);
        } finally {
          unguard();
        }
      } catch (error) {
        if (signal.aborted) break;
        this.#connected = false;
        const delayMs = this.#backoff.next();
        this.#logger.warn(
          { err: error, delayMs, attempt: this.#backoff.attempt },
          'lease grant failed; retrying',
        );
        lease?.release();
        await sleep(delayMs, undefined, { signal }).catch(() => {});
        continue;
      }
      if (signal.aborted) {
        await this.#revoke(lease);
        return;
      }
      // Lost: stop its keep-alives; keys on it are gone or going, the next lease re-puts them.
      lease.release();
    }
  }

  async #serve(lease: Lease, leaseId: string, signal: AbortSignal, isLost: () => boolean): Promise<void> {
    while (!signal.aborted && !isLost()) {
      try {
        if (this.#needsReconcile) await this.#reconcile(leaseId);
        await this.#flush(lease);
        if (!this.#connected) this.#logger.info({ keys: this.#written.size }, 'registry in sync');
        this.#connected = true;
        this.#backoff.reset();
      } catch (error) {
        if (signal.aborted || isLost()) return;
        this.#connected = false;
        this.#needsReconcile = true;
        const delayMs = this.#backoff.next();
        this.#logger.warn(
          { err: error, delayMs, attempt: this.#backoff.attempt },
          'etcd write failed; retrying',
        );
        await sleep(delayMs, undefined, { signal }).catch(() => {});
        continue;
      }
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

  /** Learns what etcd really holds for this bridge, so the flush that follows fixes every difference. */
  async #reconcile(leaseId: string): Promise<void> {
    const keys = [this.#layout.services, this.#layout.bridges];
    const found = new Map<string, string>();
    for (const prefix of keys) {
      const response = await this.#client.getAll().prefix(prefix).exec();
      for (const kv of response.kvs) {
        const key = kv.key.toString();
        const value = kv.value.toString();
        if (!this.#isMine(key, value)) continue;
        found.set(key, kv.lease === leaseId ? value : STALE);
      }
    }
    this.#written.clear();
    for (const [key, value] of found) this.#written.set(key, value);
    for (const key of this.#desired.keys()) this.#dirty.add(key);
    for (const key of this.#written.keys()) this.#dirty.add(key);
    this.#needsReconcile = false;
  }

  #isMine(key: string, value: string): boolean {
    if (key === this.#layout.bridgeKey(this.#bridgeId)) return true;
    if (!key.startsWith(this.#layout.services)) return false;
    try {
      return (JSON.parse(value) as { bridge?: unknown }).bridge === this.#bridgeId;
    } catch {
      return false;
    }
  }

  async #flush(lease: Lease): Promise<void> {
    while (this.#dirty.size > 0) {
      // A few writes in flight at once: re-putting a whole host after an outage stays quick.
      const batch: string[] = [];
      for (const key of this.#dirty) {
        this.#dirty.delete(key);
        batch.push(key);
        if (batch.length === FLUSH_CONCURRENCY) break;
      }
      const results = await Promise.allSettled(batch.map((key) => this.#write(lease, key)));
      const failure = results.find((result) => result.status === 'rejected');
      if (failure) {
        results.forEach((result, index) => {
          if (result.status === 'rejected') this.#dirty.add(batch[index] as string);
        });
        throw (failure as PromiseRejectedResult).reason;
      }
    }
  }

  async #write(lease: Lease, key: string): Promise<void> {
    const wanted = this.#desired.get(key);
    const written = this.#written.get(key);
    if (wanted === written) return;
    if (wanted === undefined && this.#held.has(key)) return;
    if (wanted === undefined) {
      await this.#client.delete().key(key).exec();
      this.#written.delete(key);
      this.#logger.debug({ key }, 'key deleted');
    } else {
      await lease.put(key).value(wanted).exec();
      this.#written.set(key, wanted);
      this.#logger.debug({ key }, 'key written');
    }
  }

  async #revoke(lease: Lease): Promise<void> {
    const timeout = new AbortController();
    try {
      await Promise.race([
        lease.revoke(),
        sleep(3_000, undefined, { signal: timeout.signal }).then(() => {
          throw new Error('revoke timed out');
        }),
      ]);
      this.#logger.info('lease revoked');
    } catch (error) {
      lease.release();
      this.#logger.warn({ err: error }, 'lease revoke failed; keys expire with the TTL');
    } finally {
      timeout.abort();
    }
    this.#connected = false;
  }
}
