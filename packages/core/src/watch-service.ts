import type { Etcd3 } from 'etcd3';
import type { CommonConfig, EtcdConfig } from './common-config.js';
import { createEtcdClient } from './etcd-client.js';
import { KeyLayout } from './key-layout.js';
import type { Logger } from './logger.js';
import { assertValidName } from './names.js';
import { type EndpointRecord, encodeRecord } from './records.js';
import { type RegistryChange, type RegistryState, ServiceWatcher } from './service-watcher.js';

export interface WatchServiceOptions {
  /** Ends the iteration (cleanly, without throwing) when it aborts. */
  readonly signal: AbortSignal;
  /** An etcd client to use; it is left open. Without one, a client is made from `config` and closed at the end. */
  readonly client?: Etcd3;
  /** etcd settings, or a whole `loadCommonConfig(process.env)` result (which also supplies the key layout). */
  readonly config?: EtcdConfig | CommonConfig;
  /** Key layout; defaults to the config's, else `/wharf`. */
  readonly layout?: KeyLayout;
  readonly logger?: Logger;
}

/**
 * The serving endpoints of one service, live: yields the current set (sorted by instance id) as
 * soon as etcd has been read, then each new set whenever it changes. Sets that equal the last one
 * yielded are not repeated, and a consumer that falls behind gets the latest set rather than a
 * backlog. etcd outages are ridden out inside (the last set stands until etcd is back).
 *
 * "Serving" means the record's state is `serving` and no operator drain (`wharf drain`) exists
 * for it: a drain takes effect here at once, before the bridge rewrites the record.
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
  const client = options.client ?? (ownClient as Etcd3);

  // Our own controller, so that a consumer breaking out of the loop also stops the watcher.
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  options.signal.addEventListener('abort', onAbort, { once: true });
  if (options.signal.aborted) stop.abort();

  let pending: EndpointRecord[] | undefined;
  let lastYielded: string | undefined;
  let wake: (() => void) | undefined;
  stop.signal.addEventListener('abort', () => wake?.(), { once: true });

  const watcher = new ServiceWatcher({
    client,
    layout,
    ...(options.logger ? { logger: options.logger } : {}),
    onUpdate: ({ reset, changes, state }) => {
      if (!reset && !changes.some((change) => concerns(change, service))) return;
      const endpoints = servingEndpoints(state, service, layout);
      const fingerprint = endpoints.map(encodeRecord).join('\n');
      if (fingerprint === lastYielded) return;
      lastYielded = fingerprint;
      pending = endpoints;
      wake?.();
    },
  });
  const running = stop.signal.aborted ? Promise.resolve() : watcher.run(stop.signal);

  try {
    while (!stop.signal.aborted) {
      if (pending === undefined) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
        continue;
      }
      const endpoints = pending;
      pending = undefined;
      yield endpoints;
    }
  } finally {
    options.signal.removeEventListener('abort', onAbort);
    stop.abort();
    await running;
    ownClient?.close();
  }
}

function concerns(change: RegistryChange, service: string): boolean {
  if (change.kind === 'endpoint') return change.parsed.service === service;
  if (change.kind === 'drain') return (change.current ?? change.previous)?.service === service;
  return false;
}

function servingEndpoints(state: RegistryState, service: string, layout: KeyLayout): EndpointRecord[] {
  const prefix = layout.serviceKeys(service);
  const serving: EndpointRecord[] = [];
  for (const [key, record] of state.endpoints) {
    if (!key.startsWith(prefix) || record.state !== 'serving') continue;
    if (state.drains.has(`${layout.drains}${key.slice(prefix.length)}`)) continue;
    serving.push(record);
  }
  return serving.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
