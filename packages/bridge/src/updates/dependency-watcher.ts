import type { EndpointRecord, Logger } from '@wharf/core';

/** The serving sets of one service as they change (core's `watchService`). */
export type ServiceSets = (service: string, signal: AbortSignal) => AsyncIterable<readonly EndpointRecord[]>;

export interface DependencyWatcherOptions {
  readonly watch: ServiceSets;
  /** Called with the service each time its serving set changes, the first read included. */
  readonly onChange: (service: string) => void;
  readonly logger: Logger;
}

interface Watch {
  refs: number;
  readonly stop: AbortController;
  /** Undefined until etcd has been read for it. */
  set: readonly EndpointRecord[] | undefined;
  done: Promise<void>;
}

/**
 * The serving sets of the services containers depend on, one watch per service however many
 * containers require it, started with the first container that does and stopped with the last.
 */
export class DependencyWatcher {
  readonly #options: DependencyWatcherOptions;
  readonly #logger: Logger;
  readonly #watches = new Map<string, Watch>();

  constructor(options: DependencyWatcherOptions) {
    this.#options = options;
    this.#logger = options.logger.child({ component: 'dependency-watcher' });
  }

  /** Starts following `service` (or counts one more container following it). */
  acquire(service: string): void {
    const known = this.#watches.get(service);
    if (known) {
      known.refs += 1;
      return;
    }
    const stop = new AbortController();
    const watch: Watch = { refs: 1, stop, set: undefined, done: Promise.resolve() };
    this.#watches.set(service, watch);
    watch.done = this.#follow(service, watch);
  }

  /** One container fewer follows `service`; the last one stops the watch. */
  release(service: string): void {
    const watch = this.#watches.get(service);
    if (!watch) return;
    watch.refs -= 1;
    if (watch.refs > 0) return;
    this.#watches.delete(service);
    watch.stop.abort();
  }

  /** The serving set of `service`, or undefined before etcd has been read for it. */
  set(service: string): readonly EndpointRecord[] | undefined {
    return this.#watches.get(service)?.set;
  }

  /** Stops every watch and waits for them. */
  async close(): Promise<void> {
    const watches = [...this.#watches.values()];
    this.#watches.clear();
    for (const watch of watches) watch.stop.abort();
    await Promise.all(watches.map((watch) => watch.done));
  }

  async #follow(service: string, watch: Watch): Promise<void> {
    try {
      for await (const set of this.#options.watch(service, watch.stop.signal)) {
        watch.set = set;
        this.#logger.debug({ service, serving: set.length }, 'dependency changed');
        this.#options.onChange(service);
      }
    } catch (error) {
      // watchService rides out etcd outages itself; anything else is a bug worth a line.
      if (!watch.stop.signal.aborted) this.#logger.error({ err: error, service }, 'dependency watch failed');
    }
  }
}
