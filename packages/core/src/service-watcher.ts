import { whenAborted } from './abort-signal.js';
import { Backoff } from './backoff.js';
import { WatchCompactedError, WatchInterruptedError } from './errors.js';
import type { EtcdClient } from './etcd-client.js';
import { type EtcdStore, prefixEnd, type StoredKeyValue, type WatchEvent } from './etcd-store.js';
import { toEtcdStore } from './etcd3-store.js';
import type { KeyLayout } from './key-layout.js';
import { listPrefix } from './list-prefix.js';
import { type Logger, silentLogger } from './logger.js';
import { type RegistryChange, RegistryContents, type RegistryState } from './registry-contents.js';
import { decodeRegistryEntry } from './registry-entry.js';
import { type SupervisedRun, Supervisor } from './supervisor.js';

export interface RegistryUpdate {
  /** True when this update comes from a full list (start, compaction, stall). */
  readonly reset: boolean;
  /** The etcd revision the state reflects. */
  readonly revision: number;
  readonly changes: readonly RegistryChange[];
  /**
   * Every valid record under the watched prefix, by kind and key. These maps are the watcher's own
   * and change after each update: read them during the callback, copy what must outlive it.
   */
  readonly state: RegistryState;
}

export interface ServiceWatcherOptions {
  /** The etcd3 client (the edge's, the CLI's) or any other `EtcdStore` (the bridge's). */
  readonly client: EtcdClient | EtcdStore;
  readonly layout: KeyLayout;
  /**
   * What to mirror: everything under the layout's root (the default), or one prefix under it —
   * `layout.drains`, `layout.serviceKeys('web')` — so that a reader holds only what it needs.
   */
  readonly prefix?: string;
  readonly logger?: Logger;
  /** Called synchronously for the first full list and then for each watch response that changes something. */
  readonly onUpdate: (update: RegistryUpdate) => void;
  readonly backoff?: Backoff;
  /**
   * How often to check that the watch still delivers (0 turns it off). A stream can look
   * connected and deliver nothing (a proxy or server that lost it without closing it); the
   * probe compares etcd's count and newest revision under the prefix with what was applied.
   */
  readonly probeIntervalMs?: number;
}

/**
 * Keeps an in-memory copy of everything under one prefix: one range read, then a watch from
 * that revision + 1, inside one `Supervisor`. A watch that breaks is created again from the last
 * revision applied + 1, so a short disconnect costs no re-list; the prefix is listed again (and
 * the list diffed against what was known, so consumers only ever see changes) when etcd has
 * compacted that revision away, when the stall probe finds the watch silently behind, or when a
 * resumed watch could not even be created (etcd away for longer, an expired auth token: etcd3
 * refreshes tokens on unary calls only).
 *
 * Invalid values and unknown record versions are skipped with one warning per key and value;
 * they never stop the watcher.
 */
export class ServiceWatcher {
  readonly #store: EtcdStore;
  readonly #layout: KeyLayout;
  readonly #prefix: string;
  readonly #logger: Logger;
  readonly #onUpdate: (update: RegistryUpdate) => void;
  readonly #probeIntervalMs: number;
  readonly #supervisor: Supervisor;
  readonly #contents: RegistryContents;
  /** Keys whose current value was found invalid, with that value, so each is warned about once. */
  readonly #rejected = new Map<string, string>();
  /** The mod revision of each known valid key, so a re-list reports only what really changed. */
  readonly #modRevisions = new Map<string, number>();
  /** The newest etcd revision seen in a list or watch response. */
  #revision = 0;
  /** Every event up to this revision has been applied: a watch resumes at the next one. */
  #appliedThrough = 0;
  #needsList = true;
  #synced = false;
  #connected = false;
  #lastContact = 0;

  constructor(options: ServiceWatcherOptions) {
    this.#store = toEtcdStore(options.client);
    this.#layout = options.layout;
    this.#prefix = options.prefix ?? options.layout.root;
    if (!this.#prefix.startsWith(options.layout.root)) {
      throw new TypeError(`prefix ${this.#prefix} is outside ${options.layout.root}`);
    }
    this.#contents = new RegistryContents(options.layout);
    this.#logger = (options.logger ?? silentLogger).child({
      component: 'service-watcher',
      prefix: this.#prefix,
    });
    this.#onUpdate = options.onUpdate;
    this.#probeIntervalMs = options.probeIntervalMs ?? 10_000;
    this.#supervisor = new Supervisor({
      task: (run) => this.#listAndWatch(run),
      logger: this.#logger,
      message: () =>
        this.#needsList ? 'etcd watch interrupted; re-listing' : 'etcd watch interrupted; resuming',
      backoff: options.backoff ?? new Backoff({ initialMs: 100, maxMs: 5_000 }),
      onFailure: () => {
        this.#connected = false;
      },
    });
  }

  get state(): RegistryState {
    return this.#contents;
  }

  /** The etcd revision of the last applied list or watch response (0 before the first). */
  get revision(): number {
    return this.#revision;
  }

  /** True once the first full list has been applied. */
  get synced(): boolean {
    return this.#synced;
  }

  /** True while a watch stream is established. */
  get connected(): boolean {
    return this.#connected;
  }

  /** Milliseconds since the state was last known to match etcd (0 while the watch is live). */
  syncAgeMs(now = Date.now()): number {
    if (this.#connected) return 0;
    return this.#lastContact === 0 ? Number.POSITIVE_INFINITY : now - this.#lastContact;
  }

  /** How many times the watch was interrupted and resumed or started over from a list. */
  get restarts(): number {
    return this.#supervisor.restarts;
  }

  /** Runs until `signal` aborts; never throws for etcd faults. */
  async run(signal: AbortSignal): Promise<void> {
    try {
      await this.#supervisor.run(signal);
    } finally {
      this.#connected = false;
    }
  }

  async #listAndWatch({ signal, healthy }: SupervisedRun): Promise<void> {
    const resuming = !this.#needsList;
    if (this.#needsList) {
      const listed = await listPrefix(this.#store, this.#prefix, signal);
      if (signal.aborted) return;
      this.#applyList(listed.kvs, listed.revision);
      this.#needsList = false;
      healthy();
    }
    let created = false;
    try {
      await this.#watch(signal, () => {
        created = true;
        healthy();
      });
    } finally {
      // A watch that could not be re-created says etcd is away or refuses this stream: the next
      // attempt starts from a list, a unary call that also gets an expired token renewed.
      if (resuming && !created) this.#needsList = true;
    }
  }

  async #watch(signal: AbortSignal, onCreated: () => void): Promise<void> {
    let fail: (error: Error) => void = () => {};
    let failure: Error | undefined;
    const handle = await this.#store
      .watch(
        { key: this.#prefix, end: prefixEnd(this.#prefix), startRevision: this.#appliedThrough + 1, signal },
        {
          onResponse: (response) => this.#applyEvents(response.events, response.revision),
          onFailure: (error) => {
            failure = error;
            fail(error);
          },
        },
      )
      .catch((error: unknown) => {
        if (error instanceof WatchCompactedError) this.#needsList = true;
        throw error;
      });
    if (signal.aborted) {
      handle.cancel();
      return;
    }
    this.#connected = true;
    this.#lastContact = Date.now();
    onCreated();
    let probe: NodeJS.Timeout | undefined;
    let stopListening = () => {};
    try {
      await new Promise<void>((resolve, reject) => {
        fail = (error) => {
          if (error instanceof WatchCompactedError) this.#needsList = true;
          reject(error);
        };
        if (failure) fail(failure);
        stopListening = whenAborted(signal, resolve);
        probe = this.#startProbe(fail);
      });
    } finally {
      clearInterval(probe);
      stopListening();
      handle.cancel();
      this.#connected = false;
    }
  }

  #startProbe(fail: (error: Error) => void): NodeJS.Timeout | undefined {
    if (this.#probeIntervalMs <= 0) return undefined;
    let suspectAt: number | undefined;
    let probing = false;
    const probe = setInterval(() => {
      if (probing) return;
      probing = true;
      this.#isBehind()
        .then((behind) => {
          // A first sighting may be events still in flight; stalled means no progress since.
          if (!behind) suspectAt = undefined;
          else if (suspectAt === this.#revision) {
            this.#needsList = true;
            fail(new WatchInterruptedError('watch stalled: etcd has changes it did not deliver'));
          } else suspectAt = this.#revision;
        })
        .catch(() => {}) // etcd unreachable: the stream's own failure will say so.
        .finally(() => {
          probing = false;
        });
    }, this.#probeIntervalMs);
    probe.unref();
    return probe;
  }

  /** True when etcd holds keys or revisions under the prefix that this watcher has not applied. */
  async #isBehind(): Promise<boolean> {
    const response = await this.#store.range(this.#prefix, {
      end: prefixEnd(this.#prefix),
      newestFirst: true,
      limit: 1,
    });
    const newest = response.kvs[0]?.modRevision ?? 0;
    const known = this.#modRevisions.size + this.#rejected.size;
    return newest > this.#revision || response.count !== known;
  }

  #applyList(kvs: readonly StoredKeyValue[], revision: number): void {
    const seen = new Set<string>();
    const changes: RegistryChange[] = [];
    for (const kv of kvs) {
      seen.add(kv.key);
      if (this.#modRevisions.get(kv.key) === kv.modRevision) continue;
      this.#put(kv, changes);
    }
    for (const key of [...this.#contents.keys()]) if (!seen.has(key)) this.#delete(key, changes);
    for (const key of this.#rejected.keys()) if (!seen.has(key)) this.#rejected.delete(key);
    for (const key of this.#modRevisions.keys()) if (!seen.has(key)) this.#modRevisions.delete(key);
    this.#appliedThrough = revision;
    this.#finish(true, revision, changes);
  }

  #applyEvents(events: readonly WatchEvent[], revision: number): void {
    const changes: RegistryChange[] = [];
    for (const event of events) {
      if (event.type === 'delete') {
        this.#rejected.delete(event.kv.key);
        this.#delete(event.kv.key, changes);
      } else {
        this.#put(event.kv, changes);
      }
    }
    // etcd sends events of whole revisions; a message without events (progress) is all caught up.
    const last = events.at(-1);
    this.#appliedThrough = Math.max(this.#appliedThrough, last ? last.kv.modRevision : revision);
    this.#finish(false, revision, changes);
  }

  #finish(reset: boolean, revision: number, changes: RegistryChange[]): void {
    this.#revision = Math.max(this.#revision, revision);
    this.#lastContact = Date.now();
    if (!reset && changes.length === 0) return;
    this.#synced = true;
    try {
      this.#onUpdate({ reset, revision: this.#revision, changes, state: this.#contents });
    } catch (error) {
      // A consumer's bug must not turn into a re-list loop.
      this.#logger.error({ err: error }, 'registry update handler failed');
    }
  }

  #put(kv: StoredKeyValue, changes: RegistryChange[]): void {
    const decoded = decodeRegistryEntry(this.#layout, kv.key, kv.value);
    if (!decoded.ok) {
      this.#reject(kv, decoded.rejected.reason, decoded.rejected.code);
      this.#delete(kv.key, changes);
      return;
    }
    this.#rejected.delete(kv.key);
    this.#modRevisions.set(kv.key, kv.modRevision);
    // The ACME issuers' own keys are known (the stall probe counts them) but not held here.
    const change = this.#contents.set(decoded.entry);
    if (change) changes.push(change);
  }

  #delete(key: string, changes: RegistryChange[]): void {
    this.#modRevisions.delete(key);
    const change = this.#contents.delete(key);
    if (change) changes.push(change);
  }

  #reject(kv: StoredKeyValue, reason: string, code: string): void {
    const raw = kv.value;
    const value = raw.length > 256 ? `${raw.subarray(0, 256).toString()}…` : raw.toString();
    if (this.#rejected.get(kv.key) === value) return;
    this.#rejected.set(kv.key, value);
    this.#logger.warn({ key: kv.key, code, reason }, 'skipping invalid registry value');
  }
}
