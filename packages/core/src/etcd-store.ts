/** One key as etcd holds it. Revisions fit in a double (etcd counts them from 1, one per write). */
export interface StoredKeyValue {
  readonly key: string;
  readonly value: Buffer;
  readonly modRevision: number;
  /** The lease id in decimal, `'0'` when the key has none. */
  readonly lease: string;
}

export interface RangeOptions {
  /** Exclusive end of the range; `prefixEnd(key)` reads a whole prefix. Without it, only `key`. */
  readonly end?: string | undefined;
  /** At most this many keys (0 or unset: all). */
  readonly limit?: number | undefined;
  /** Read at this revision (a consistent snapshot across pages); unset: the newest. */
  readonly revision?: number | undefined;
  /** Newest modification first, instead of key order. */
  readonly newestFirst?: boolean | undefined;
}

export interface RangeResult {
  readonly kvs: readonly StoredKeyValue[];
  /** More keys in the range than `limit` returned. */
  readonly more: boolean;
  /** Keys in the whole range, whatever the limit. */
  readonly count: number;
  /** The store's revision the read saw. */
  readonly revision: number;
}

export interface WatchRequest {
  readonly key: string;
  readonly end: string;
  /** First revision to report (inclusive). */
  readonly startRevision: number;
  /** Gives up creating the watch, or cancels it, when it aborts. */
  readonly signal?: AbortSignal | undefined;
}

export interface WatchEvent {
  readonly type: 'put' | 'delete';
  readonly kv: StoredKeyValue;
}

/** One message of a watch: events (in revision order), or none for a progress notification. */
export interface WatchResponse {
  readonly events: readonly WatchEvent[];
  /** The store's revision when the message was sent; with events, possibly beyond the last one. */
  readonly revision: number;
}

export interface WatchListener {
  readonly onResponse: (response: WatchResponse) => void;
  /** Called at most once; the watch is over. `WatchCompactedError` when its start was compacted. */
  readonly onFailure: (error: Error) => void;
}

export interface WatchHandle {
  /** Stops the watch; idempotent; no listener is called afterwards. */
  cancel(): void;
}

export interface LeaseStatus {
  /** Seconds left; 0 or less once the lease has expired or was revoked. */
  readonly ttlSeconds: number;
  readonly grantedTtlSeconds: number;
  /** Keys attached to the lease. */
  readonly keys: readonly string[];
}

export interface CallOptions {
  /** Deadline for this one call, in ms from now (the client's own default otherwise). */
  readonly timeoutMs?: number | undefined;
}

/**
 * The etcd operations wharf's own parts need — paged range reads, put and delete, a watch over
 * one range, and leases — and nothing else. `ServiceWatcher`, the bridge's registry writer and
 * drain watcher are written against it, so they run on the full etcd3 client
 * (`etcd3Store(client)`) or on the small HTTP client of etcd's JSON gateway alike.
 *
 * Failures of one call reject that call; a watch reports its end through `onFailure`. Nothing
 * here retries beyond trying another endpoint: callers restart whole sequences (`Supervisor`).
 */
export interface EtcdStore {
  range(key: string, options?: RangeOptions, call?: CallOptions): Promise<RangeResult>;
  /** Rejects with `LeaseNotFoundError` when the lease named has expired or was revoked. */
  put(key: string, value: string, options?: { readonly lease?: string | undefined }): Promise<void>;
  /** Deletes one key; resolves to how many keys were deleted (0 or 1). */
  delete(key: string): Promise<number>;
  /** Resolves once etcd has created the watch; rejects when it cannot (compaction, auth, network). */
  watch(request: WatchRequest, listener: WatchListener): Promise<WatchHandle>;
  /** A new lease; resolves to its id in decimal. */
  grantLease(ttlSeconds: number): Promise<string>;
  /** One keep-alive; resolves to the TTL etcd granted again, 0 or less when the lease is gone. */
  keepAliveLease(id: string, call?: CallOptions): Promise<number>;
  /** Revokes a lease and with it every key on it; a lease that is already gone is no error. */
  revokeLease(id: string, call?: CallOptions): Promise<void>;
  /** The lease's time left and its keys; `undefined` when it does not exist (anymore). */
  leaseStatus(id: string): Promise<LeaseStatus | undefined>;
  /** Releases connections; calls in flight fail. Idempotent. */
  close(): void;
}

/**
 * The exclusive end of the range of keys starting with `prefix`, as etcd computes it (the last
 * byte plus one). wharf's keys are ASCII — `KeyLayout` validates every part — so a character
 * is a byte here.
 */
export function prefixEnd(prefix: string): string {
  if (prefix === '') return '\u0000';
  return `${prefix.slice(0, -1)}${String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1)}`;
}
