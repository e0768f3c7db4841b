import { setTimeout as sleep } from 'node:timers/promises';
import type { Etcd3, IKeyValue, Watcher } from 'etcd3';
import { Backoff } from './backoff.js';
import { WatchCompactedError, WatchInterruptedError, type WharfError } from './errors.js';
import type { KeyLayout, ParsedKey } from './key-layout.js';
import { listPrefix } from './list-prefix.js';
import { type Logger, silentLogger } from './logger.js';
import {
  type BridgeRecord,
  type DecodeResult,
  type DrainRecord,
  decodeBridgeRecord,
  decodeDrainRecord,
  decodeEndpointRecord,
  decodeRouteRecord,
  type EndpointRecord,
  type RouteRecord,
} from './records.js';
import {
  type AcmeChallengeRecord,
  type CertificateRecord,
  decodeAcmeChallengeRecord,
  decodeCertificateRecord,
} from './tls-records.js';

interface RecordKinds {
  endpoint: EndpointRecord;
  bridge: BridgeRecord;
  route: RouteRecord;
  drain: DrainRecord;
  certificate: CertificateRecord;
  challenge: AcmeChallengeRecord;
}
type Kind = keyof RecordKinds;

/** One key that appeared, changed or went away. `current` is undefined when it went away. */
export type RegistryChange = {
  [K in Kind]: {
    kind: K;
    key: string;
    parsed: Extract<ParsedKey, { kind: K }>;
    current: RecordKinds[K] | undefined;
    previous: RecordKinds[K] | undefined;
  };
}[Kind];

/**
 * Everything valid under the prefix, by key. These maps are the watcher's own and change after
 * each update: read them during the callback, copy what must outlive it.
 */
export interface RegistryState {
  readonly endpoints: ReadonlyMap<string, EndpointRecord>;
  readonly bridges: ReadonlyMap<string, BridgeRecord>;
  readonly routes: ReadonlyMap<string, RouteRecord>;
  readonly drains: ReadonlyMap<string, DrainRecord>;
  readonly certificates: ReadonlyMap<string, CertificateRecord>;
  readonly challenges: ReadonlyMap<string, AcmeChallengeRecord>;
}

export interface RegistryUpdate {
  /** True when this update comes from a full list (start, compaction, reconnect). */
  readonly reset: boolean;
  /** The etcd revision the state reflects. */
  readonly revision: number;
  readonly changes: readonly RegistryChange[];
  readonly state: RegistryState;
}

export interface ServiceWatcherOptions {
  readonly client: Etcd3;
  readonly layout: KeyLayout;
  readonly logger?: Logger;
  /** Called synchronously for the first full list and then for each watch response. */
  readonly onUpdate: (update: RegistryUpdate) => void;
  readonly backoff?: Backoff;
  /**
   * How often to check that the watch still delivers (0 turns it off). A stream can look
   * connected and deliver nothing (a proxy or server that lost it without closing it); the
   * probe compares etcd's count and newest revision under the prefix with what was applied.
   */
  readonly probeIntervalMs?: number;
}

const DECODERS: { [K in Kind]: (raw: Buffer) => DecodeResult<RecordKinds[K]> } = {
  endpoint: decodeEndpointRecord,
  bridge: decodeBridgeRecord,
  route: decodeRouteRecord,
  drain: decodeDrainRecord,
  certificate: decodeCertificateRecord,
  challenge: decodeAcmeChallengeRecord,
};

/**
 * Keeps an in-memory copy of everything under the prefix: one range read, then a watch from
 * that revision + 1. Any failure — compaction, a cancelled or broken watch, etcd unreachable —
 * starts the sequence over from a fresh list after a capped, jittered backoff, and the fresh
 * list is diffed against what was known so consumers only ever see changes.
 *
 * Invalid values and unknown record versions are skipped with one warning per key and value;
 * they never stop the watcher.
 */
export class ServiceWatcher {
  readonly #client: Etcd3;
  readonly #layout: KeyLayout;
  readonly #logger: Logger;
  readonly #onUpdate: (update: RegistryUpdate) => void;
  readonly #backoff: Backoff;
  readonly #probeIntervalMs: number;
  readonly #maps: { [K in Kind]: Map<string, RecordKinds[K]> } = {
    endpoint: new Map(),
    bridge: new Map(),
    route: new Map(),
    drain: new Map(),
    certificate: new Map(),
    challenge: new Map(),
  };
  readonly #state: RegistryState = {
    endpoints: this.#maps.endpoint,
    bridges: this.#maps.bridge,
    routes: this.#maps.route,
    drains: this.#maps.drain,
    certificates: this.#maps.certificate,
    challenges: this.#maps.challenge,
  };
  /** Keys whose current value was found invalid, with that value, so each is warned about once. */
  readonly #rejected = new Map<string, string>();
  /** The mod revision of each known valid key, so a re-list reports only what really changed. */
  readonly #modRevisions = new Map<string, string>();
  #revision = 0;
  #synced = false;
  #connected = false;
  #lastContact = 0;
  #restarts = 0;

  constructor(options: ServiceWatcherOptions) {
    this.#client = options.client;
    this.#layout = options.layout;
    this.#logger = (options.logger ?? silentLogger).child({ component: 'service-watcher' });
    this.#onUpdate = options.onUpdate;
    this.#backoff = options.backoff ?? new Backoff({ initialMs: 100, maxMs: 5_000 });
    this.#probeIntervalMs = options.probeIntervalMs ?? 10_000;
  }

  get state(): RegistryState {
    return this.#state;
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

  /** How many times the list → watch sequence has started over after a failure. */
  get restarts(): number {
    return this.#restarts;
  }

  /** Runs until `signal` aborts; never throws for etcd faults. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.#listAndWatch(signal);
      } catch (error) {
        if (signal.aborted) break;
        this.#restarts += 1;
        const delayMs = this.#backoff.next();
        const code = (error as WharfError).code ?? (error as Error).name;
        this.#logger.warn(
          { code, err: error, delayMs, attempt: this.#backoff.attempt },
          'etcd watch interrupted; re-listing',
        );
        await sleep(delayMs, undefined, { signal }).catch(() => {});
      } finally {
        this.#connected = false;
      }
    }
  }

  async #listAndWatch(signal: AbortSignal): Promise<void> {
    const root = this.#layout.root;
    const listed = await listPrefix(this.#client, root, signal);
    if (signal.aborted) return;
    this.#applyList(listed.kvs, listed.revision);
    this.#backoff.reset();

    const watcher = await this.#client
      .watch()
      .prefix(root)
      .startRevision(String(this.#revision + 1))
      .create();
    try {
      this.#connected = true;
      await this.#consume(watcher, signal);
    } finally {
      watcher.removeAllListeners();
      watcher.on('error', () => {});
      watcher.cancel().catch(() => {});
    }
  }

  #consume(watcher: Watcher, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      // An abort while the watch was being created has already fired and would never be seen.
      if (signal.aborted) {
        resolve();
        return;
      }
      let probe: NodeJS.Timeout | undefined;
      const onAbort = () => {
        clearInterval(probe);
        resolve();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const fail = (error: Error) => {
        clearInterval(probe);
        signal.removeEventListener('abort', onAbort);
        reject(error);
      };
      if (this.#probeIntervalMs > 0) {
        let suspectAt: number | undefined;
        let probing = false;
        probe = setInterval(() => {
          if (probing) return;
          probing = true;
          this.#isBehind()
            .then((behind) => {
              // A first sighting may be events still in flight; stalled means no progress since.
              if (!behind) suspectAt = undefined;
              else if (suspectAt === this.#revision)
                fail(new WatchInterruptedError('watch stalled: etcd has changes it did not deliver'));
              else suspectAt = this.#revision;
            })
            .catch(() => {}) // etcd unreachable: the stream's own failure will say so.
            .finally(() => {
              probing = false;
            });
        }, this.#probeIntervalMs);
        probe.unref();
      }
      watcher.on('data', (response) => {
        if (response.compact_revision && response.compact_revision !== '0') {
          fail(new WatchCompactedError());
          return;
        }
        this.#applyEvents(response.events, Number(response.header.revision));
      });
      watcher.on('error', (cause: Error) => {
        fail(
          /compact/i.test(cause.message)
            ? new WatchCompactedError({ cause })
            : new WatchInterruptedError(cause.message, { cause }),
        );
      });
      watcher.on('disconnected', (cause: Error) =>
        fail(
          new WatchInterruptedError(`watch stream disconnected: ${cause?.message ?? 'unknown'}`, { cause }),
        ),
      );
      watcher.on('end', () => fail(new WatchInterruptedError('watch stream ended')));
    });
  }

  /** True when etcd holds keys or revisions under the prefix that this watcher has not applied. */
  async #isBehind(): Promise<boolean> {
    const response = await this.#client
      .getAll()
      .prefix(this.#layout.root)
      .sort('Mod', 'Descend')
      .limit(1)
      .exec();
    const newest = Number(response.kvs[0]?.mod_revision ?? 0);
    const known = this.#modRevisions.size + this.#rejected.size;
    return newest > this.#revision || Number(response.count) !== known;
  }

  #applyList(kvs: readonly IKeyValue[], revision: number): void {
    const seen = new Set<string>();
    const changes: RegistryChange[] = [];
    for (const kv of kvs) {
      const key = kv.key.toString();
      seen.add(key);
      if (this.#modRevisions.get(key) === kv.mod_revision) continue;
      this.#put(key, kv, changes);
    }
    for (const kind of Object.keys(this.#maps) as Kind[]) {
      for (const key of this.#maps[kind].keys()) if (!seen.has(key)) this.#delete(key, changes);
    }
    for (const key of this.#rejected.keys()) if (!seen.has(key)) this.#rejected.delete(key);
    for (const key of this.#modRevisions.keys()) if (!seen.has(key)) this.#modRevisions.delete(key);
    this.#finish(true, revision, changes);
  }

  #applyEvents(events: readonly { type: string; kv: IKeyValue }[], revision: number): void {
    const changes: RegistryChange[] = [];
    for (const event of events) {
      const key = event.kv.key.toString();
      if (event.type === 'Delete') {
        this.#rejected.delete(key);
        this.#delete(key, changes);
      } else {
        this.#put(key, event.kv, changes);
      }
    }
    this.#finish(false, revision, changes);
  }

  #finish(reset: boolean, revision: number, changes: RegistryChange[]): void {
    this.#revision = Math.max(this.#revision, revision);
    this.#lastContact = Date.now();
    if (!reset && changes.length === 0) return;
    this.#synced = true;
    try {
      this.#onUpdate({ reset, revision: this.#revision, changes, state: this.#state });
    } catch (error) {
      // A consumer's bug must not turn into a re-list loop.
      this.#logger.error({ err: error }, 'registry update handler failed');
    }
  }

  #put(key: string, kv: IKeyValue, changes: RegistryChange[]): void {
    const raw = kv.value;
    const parsed = this.#layout.parse(key);
    if (!parsed) {
      this.#reject(key, raw, 'key is not part of the wharf key layout');
      return;
    }
    if (parsed.kind === 'acme') {
      // The ACME issuers' own state: known (the stall probe counts it), never decoded here.
      this.#modRevisions.set(key, kv.mod_revision);
      return;
    }
    const decoded = DECODERS[parsed.kind](raw);
    if (!decoded.ok) {
      this.#reject(key, raw, decoded.error.message, decoded.error.code);
      this.#delete(key, changes);
      return;
    }
    this.#rejected.delete(key);
    this.#modRevisions.set(key, kv.mod_revision);
    const map = this.#maps[parsed.kind] as Map<string, RecordKinds[Kind]>;
    const previous = map.get(key);
    map.set(key, decoded.record);
    changes.push({ kind: parsed.kind, key, parsed, current: decoded.record, previous } as RegistryChange);
  }

  #delete(key: string, changes: RegistryChange[]): void {
    const parsed = this.#layout.parse(key);
    this.#modRevisions.delete(key);
    if (!parsed || parsed.kind === 'acme') return;
    const map = this.#maps[parsed.kind] as Map<string, RecordKinds[Kind]>;
    const previous = map.get(key);
    if (previous === undefined) return;
    map.delete(key);
    changes.push({ kind: parsed.kind, key, parsed, current: undefined, previous } as RegistryChange);
  }

  #reject(key: string, raw: Buffer, reason: string, code = 'WHARF_INVALID_RECORD'): void {
    const value = raw.length > 256 ? `${raw.subarray(0, 256).toString()}…` : raw.toString();
    if (this.#rejected.get(key) === value) return;
    this.#rejected.set(key, value);
    this.#logger.warn({ key, code, reason }, 'skipping invalid registry value');
  }
}
