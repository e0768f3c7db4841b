import type { IKeyValue, IRangeResponse } from 'etcd3';
import { whenAborted } from './abort-signal.js';
import { LeaseNotFoundError, WatchCompactedError, WatchInterruptedError } from './errors.js';
import type { EtcdClient } from './etcd-client.js';
import type {
  CallOptions,
  EtcdStore,
  LeaseStatus,
  RangeOptions,
  RangeResult,
  StoredKeyValue,
  WatchHandle,
  WatchListener,
  WatchRequest,
} from './etcd-store.js';

/**
 * etcd answers a watch creation within milliseconds; one that takes longer is better given up
 * (the caller falls back to a list, which also renews an expired auth token).
 */
const WATCH_CREATE_TIMEOUT_MS = 3_000;

/** An `EtcdStore` on the full etcd3 client (gRPC), which the caller keeps and closes. */
export function etcd3Store(client: EtcdClient): EtcdStore {
  return new Etcd3Store(client);
}

/** `store` itself, or the etcd3 client wrapped as one: parts accept either. */
export function toEtcdStore(client: EtcdClient | EtcdStore): EtcdStore {
  return isEtcdStore(client) ? client : etcd3Store(client);
}

function isEtcdStore(client: EtcdClient | EtcdStore): client is EtcdStore {
  return typeof (client as EtcdStore).leaseStatus === 'function';
}

const deadline = (call: CallOptions | undefined) =>
  call?.timeoutMs === undefined ? undefined : { deadline: Date.now() + call.timeoutMs };

function stored(kv: IKeyValue): StoredKeyValue {
  return { key: kv.key.toString(), value: kv.value, modRevision: Number(kv.mod_revision), lease: kv.lease };
}

/**
 * etcd cancels a watch whose start revision was compacted without giving a reason (etcd3 then
 * reports "Watcher canceled: "); any other cancellation states one.
 */
function watchFailure(cause: Error): Error {
  return /compact|^Watcher canceled: *$/i.test(cause.message)
    ? new WatchCompactedError({ cause })
    : new WatchInterruptedError(cause.message, { cause });
}

/** etcd3 reports a lease it does not know as an error whose message says so. */
const isLeaseNotFound = (error: unknown) =>
  /requested lease not found/i.test(String((error as Error)?.message));

class Etcd3Store implements EtcdStore {
  readonly #client: EtcdClient;

  constructor(client: EtcdClient) {
    this.#client = client;
  }

  async range(key: string, options: RangeOptions = {}, call?: CallOptions): Promise<RangeResult> {
    // [key, key + "\0") is the key alone.
    const builder = this.#client.getAll().inRange({ start: key, end: options.end ?? `${key}\u0000` });
    if (options.limit) builder.limit(options.limit);
    if (options.revision !== undefined) builder.revision(options.revision);
    if (options.newestFirst) builder.sort('Mod', 'Descend');
    const callOptions = deadline(call);
    if (callOptions) builder.options(callOptions);
    const response: IRangeResponse = await builder.exec();
    return {
      kvs: response.kvs.map(stored),
      more: response.more,
      count: Number(response.count),
      revision: Number(response.header.revision),
    };
  }

  async put(key: string, value: string, options: { lease?: string | undefined } = {}): Promise<void> {
    const builder = this.#client.put(key).value(value);
    const lease = options.lease;
    if (lease !== undefined && lease !== '0') builder.lease(lease);
    await builder.exec().catch((error: unknown) => {
      throw lease !== undefined && isLeaseNotFound(error)
        ? new LeaseNotFoundError(lease, { cause: error })
        : error;
    });
  }

  async delete(key: string): Promise<number> {
    const response = await this.#client.delete().key(key).exec();
    return Number(response.deleted);
  }

  async watch(request: WatchRequest, listener: WatchListener): Promise<WatchHandle> {
    // etcd3 would resume a broken watch by itself from the revision of its creation response,
    // which can skip events still to come from before it; this watch ends instead, and the
    // caller resumes from the last revision it applied.
    const creating = this.#client
      .watch()
      .inRange({ start: request.key, end: request.end })
      .startRevision(String(request.startRevision))
      .create()
      .catch((cause: Error) => {
        throw watchFailure(cause);
      });
    // etcd3 keeps trying to create a watch while etcd is away, or refuses the stream's expired
    // auth token: neither an abort nor the caller's own retry may wait for it forever.
    const gaveUp = new AbortController();
    const giveUp = new Promise<undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), WATCH_CREATE_TIMEOUT_MS);
      timer.unref();
      const stopListening = request.signal ? whenAborted(request.signal, () => resolve(undefined)) : () => {};
      gaveUp.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        stopListening();
      });
    });
    const watcher = await Promise.race([creating, giveUp]).finally(() => gaveUp.abort());
    if (watcher === undefined) {
      creating.then((late) => late.cancel().catch(() => {})).catch(() => {});
      throw new WatchInterruptedError(
        request.signal?.aborted
          ? 'watch aborted before it was created'
          : `watch not created within ${WATCH_CREATE_TIMEOUT_MS / 1_000} s`,
      );
    }
    let over = false;
    const stop = () => {
      if (over) return;
      over = true;
      watcher.removeAllListeners();
      watcher.on('error', () => {});
      watcher.cancel().catch(() => {});
    };
    const fail = (error: Error) => {
      if (over) return;
      stop();
      listener.onFailure(error);
    };
    watcher.on('data', (response) => {
      if (over) return;
      if (response.compact_revision && response.compact_revision !== '0') {
        fail(new WatchCompactedError());
        return;
      }
      listener.onResponse({
        revision: Number(response.header.revision),
        events: response.events.map((event) => ({
          type: event.type === 'Delete' ? 'delete' : 'put',
          kv: stored(event.kv),
        })),
      });
    });
    watcher.on('error', (cause: Error) => fail(watchFailure(cause)));
    watcher.on('disconnected', (cause: Error) =>
      fail(new WatchInterruptedError(`watch stream disconnected: ${cause?.message ?? 'unknown'}`, { cause })),
    );
    watcher.on('end', () => fail(new WatchInterruptedError('watch stream ended')));
    if (request.signal) whenAborted(request.signal, stop);
    return { cancel: stop };
  }

  async grantLease(ttlSeconds: number): Promise<string> {
    const response = await this.#client.leaseClient.leaseGrant({ TTL: ttlSeconds, ID: 0 });
    return String(response.ID);
  }

  async keepAliveLease(id: string, call?: CallOptions): Promise<number> {
    const stream = await this.#client.leaseClient.leaseKeepAlive(deadline(call));
    try {
      const response = await new Promise<{ TTL: string }>((resolve, reject) => {
        stream.on('data', resolve);
        stream.on('error', reject);
        stream.on('end', () => reject(new Error('keep-alive stream ended')));
        stream.write({ ID: id });
      });
      return Number(response.TTL);
    } finally {
      // Errors after the answer (the stream closing) concern nobody.
      stream.on('error', () => {});
      stream.end();
    }
  }

  async revokeLease(id: string, call?: CallOptions): Promise<void> {
    try {
      await this.#client.leaseClient.leaseRevoke({ ID: id }, deadline(call));
    } catch (error) {
      if (!isLeaseNotFound(error)) throw error;
    }
  }

  async leaseStatus(id: string): Promise<LeaseStatus | undefined> {
    const response = await this.#client.leaseClient.leaseTimeToLive({ ID: id, keys: true });
    const ttlSeconds = Number(response.TTL);
    if (ttlSeconds < 0) return undefined;
    return {
      ttlSeconds,
      grantedTtlSeconds: Number(response.grantedTTL),
      keys: (response.keys ?? []).map((key) => key.toString()),
    };
  }

  close(): void {
    this.#client.close();
  }
}
