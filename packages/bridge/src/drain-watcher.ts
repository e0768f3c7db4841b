import { setTimeout as sleep } from 'node:timers/promises';
import { Backoff, type createEtcdClient, type KeyLayout, type Logger, whenAborted } from '@wharf/core';

type Etcd = ReturnType<typeof createEtcdClient>;

export interface DrainWatcherOptions {
  readonly client: Etcd;
  readonly layout: KeyLayout;
  readonly logger: Logger;
  /** Called with each instance id whose drain key appeared or went away. */
  readonly onChange: (instanceId: string) => void;
  readonly backoff?: Backoff;
}

/**
 * Knows which instance ids an operator is draining (`<prefix>/drains/<instance-id>` exists).
 * Watches only the drains prefix, so the bridge's memory does not grow with the registry.
 * Any failure starts over from a fresh list after a capped, jittered backoff.
 */
export class DrainWatcher {
  readonly #options: DrainWatcherOptions;
  readonly #logger: Logger;
  readonly #backoff: Backoff;
  readonly #drained = new Set<string>();

  constructor(options: DrainWatcherOptions) {
    this.#options = options;
    this.#logger = options.logger.child({ component: 'drain-watcher' });
    this.#backoff = options.backoff ?? new Backoff({ initialMs: 200, maxMs: 5_000 });
  }

  has(instanceId: string): boolean {
    return this.#drained.has(instanceId);
  }

  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.#listAndWatch(signal);
      } catch (error) {
        if (signal.aborted) break;
        const delayMs = this.#backoff.next();
        this.#logger.warn(
          { err: error, delayMs, attempt: this.#backoff.attempt },
          'drain watch interrupted; re-listing',
        );
        await sleep(delayMs, undefined, { signal }).catch(() => {});
      }
    }
  }

  async #listAndWatch(signal: AbortSignal): Promise<void> {
    const { client, layout } = this.#options;
    const response = await client.getAll().prefix(layout.drains).exec();
    const listed = new Set(response.kvs.map((kv) => kv.key.toString().slice(layout.drains.length)));
    for (const id of this.#drained) if (!listed.has(id)) this.#update(id, false);
    for (const id of listed) this.#update(id, true);
    this.#backoff.reset();

    const watcher = await client
      .watch()
      .prefix(layout.drains)
      .startRevision(String(Number(response.header.revision) + 1))
      .create();
    let stopListening = () => {};
    try {
      await new Promise<void>((resolve, reject) => {
        stopListening = whenAborted(signal, resolve);
        watcher.on('put', (kv) => this.#update(kv.key.toString().slice(layout.drains.length), true));
        watcher.on('delete', (kv) => this.#update(kv.key.toString().slice(layout.drains.length), false));
        watcher.on('error', reject);
        watcher.on('disconnected', (cause: Error) => reject(cause ?? new Error('drain watch disconnected')));
        watcher.on('end', () => reject(new Error('drain watch ended')));
      });
    } finally {
      stopListening();
      watcher.removeAllListeners();
      watcher.on('error', () => {});
      watcher.cancel().catch(() => {});
    }
  }

  #update(instanceId: string, drained: boolean): void {
    if (this.#drained.has(instanceId) === drained) return;
    if (drained) this.#drained.add(instanceId);
    else this.#drained.delete(instanceId);
    this.#logger.info({ instanceId, drained }, drained ? 'operator drain set' : 'operator drain cleared');
    this.#options.onChange(instanceId);
  }
}
