import type { CommonConfig, EtcdConfig } from './common-config.js';
import { createEtcdClient, type EtcdClient } from './etcd-client.js';
import type { EtcdStore } from './etcd-store.js';
import { KeyLayout } from './key-layout.js';
import type { Logger } from './logger.js';
import { assertValidName } from './names.js';
import { type EndpointRecord, encodeRecord } from './records.js';
import { ServiceWatcher } from './service-watcher.js';
import { isServing } from './serving.js';
import { preferZone } from './zones.js';

export interface WatchServiceOptions {
  /** Ends the iteration (cleanly, without throwing) when it aborts. */
  readonly signal: AbortSignal;
  /** An etcd client to use; it is left open. Without one, a client is made from `config` and closed at the end. */
  readonly client?: EtcdClient | EtcdStore;
  /** etcd settings, or a whole `loadCommonConfig(process.env)` result (which also supplies the key layout). */
  readonly config?: EtcdConfig | CommonConfig;
  /** Key layout; defaults to the config's, else `/wharf`. */
  readonly layout?: KeyLayout;
  readonly logger?: Logger;
  /**
   * The caller's zone: yield only the serving endpoints tagged `zone=<it>` while there are any,
   * else every serving endpoint (as an edge with `WHARF_ZONE` routes).
   */
  readonly zone?: string;
}

/**
 * The serving endpoints of one service, live: yields the current set (sorted by instance id) as
 * soon as etcd has been read, then each new set whenever it changes. Sets that equal the last one
 * yielded are not repeated, and a consumer that falls behind gets the latest set rather than a
 * backlog. etcd outages are ridden out inside (the last set stands until etcd is back).
 *
 * It watches only that service's keys and the operator drains, whatever else the registry holds.
 * "Serving" is core's `isServing`: the record says `serving` and no operator drain (`wharf
 * drain`) exists for it — a drain takes effect here at once, before the bridge rewrites the record.
 */
export function watchService(service: string, options: WatchServiceOptions): AsyncIterable<EndpointRecord[]> {
  assertValidName('service name', service);
  if (!options.client && !options.config) {
    throw new TypeError('watchService needs a `client` or a `config` (etcd settings)');
  }
  return { [Symbol.asyncIterator]: () => iterate(service, options) };
}

async function* iterate(service: string, options: WatchServiceOptions): AsyncGenerator<EndpointRecord[]> {
  const config = options.config;
  const common = config && 'etcd' in config ? config : undefined;
  const layout = options.layout ?? common?.layout ?? new KeyLayout();
  const ownClient = options.client
    ? undefined
    : createEtcdClient(common ? common.etcd : (config as EtcdConfig));
  const client = options.client ?? (ownClient as EtcdClient);

  // Our own controller, so that a consumer breaking out of the loop also stops the watchers.
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  options.signal.addEventListener('abort', onAbort, { once: true });
  if (options.signal.aborted) stop.abort();

  let pending: EndpointRecord[] | undefined;
  let lastYielded: string | undefined;
  let wake: (() => void) | undefined;
  stop.signal.addEventListener('abort', () => wake?.(), { once: true });

  const recompute = () => {
    if (!endpoints.synced || !drains.synced) return;
    const serving: EndpointRecord[] = [];
    for (const [key, record] of endpoints.state.endpoints) {
      const drainKey = layout.drainKeyOf(key);
      if (isServing(record, drainKey !== undefined && drains.state.drains.has(drainKey)))
        serving.push(record);
    }
    const preferred = preferZone(serving, options.zone);
    preferred.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const fingerprint = preferred.map(encodeRecord).join('\n');
    if (fingerprint === lastYielded) return;
    lastYielded = fingerprint;
    pending = preferred;
    wake?.();
  };
  const watcher = (prefix: string) =>
    new ServiceWatcher({
      client,
      layout,
      prefix,
      ...(options.logger ? { logger: options.logger } : {}),
      onUpdate: recompute,
    });
  const endpoints = watcher(layout.serviceKeys(service));
  const drains = watcher(layout.drains);
  const running = stop.signal.aborted
    ? Promise.resolve()
    : Promise.all([endpoints.run(stop.signal), drains.run(stop.signal)]);

  try {
    while (!stop.signal.aborted) {
      if (pending === undefined) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
        continue;
      }
      const serving = pending;
      pending = undefined;
      yield serving;
    }
  } finally {
    options.signal.removeEventListener('abort', onAbort);
    stop.abort();
    await running;
    ownClient?.close();
  }
}
