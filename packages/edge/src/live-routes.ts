import type { Logger, RegistryUpdate } from '@wharf/core';
import { silentLogger } from '@wharf/core';
import type { BackendOptions } from './backend.js';
import { backendLookup } from './backend-address.js';
import { BackendRegistry } from './backend-registry.js';
import type { RouteTable } from './route-table.js';
import { RouteTableBuilder, type RouteTableResult } from './route-table-builder.js';

export interface LiveRoutesOptions {
  readonly allowLinkLocal?: boolean;
  readonly backend?: BackendOptions;
  readonly logger?: Logger;
}

export type TableListener = (table: RouteTable, result: RouteTableResult) => void;

/**
 * The edge's one mutable reference: the current route table. Each registry update is applied
 * as one batch off to the side and swapped in; backends the batch started or stopped using are
 * created or retired. Listeners (metrics, the admin dashboard) hear about each new table.
 */
export class LiveRoutes {
  readonly backends: BackendRegistry;
  readonly #builder: RouteTableBuilder;
  readonly #listeners = new Set<TableListener>();
  readonly #logger: Logger;
  #table: RouteTable;
  #lastBuildMs = 0;

  constructor(options: LiveRoutesOptions = {}) {
    this.#logger = (options.logger ?? silentLogger).child({ component: 'live-routes' });
    this.#builder = new RouteTableBuilder({
      allowLinkLocal: options.allowLinkLocal ?? false,
      logger: options.logger,
    });
    // DNS-named backends are checked again after resolution, when the agent connects.
    this.backends = new BackendRegistry({
      lookup: backendLookup(options.allowLinkLocal ?? false),
      ...options.backend,
    });
    this.#table = this.#builder.table;
  }

  /** The current table. Read it once per request. */
  get table(): RouteTable {
    return this.#table;
  }

  /** Milliseconds the last batch took to build. */
  get lastBuildMs(): number {
    return this.#lastBuildMs;
  }

  /** The `onUpdate` callback for a ServiceWatcher. */
  readonly apply = (update: Pick<RegistryUpdate, 'revision' | 'changes' | 'reset'>): void => {
    const started = performance.now();
    const result = this.#builder.apply(update);
    this.#table = result.table;
    this.backends.update(result.addedBackends, result.removedBackends);
    this.#lastBuildMs = performance.now() - started;
    if (update.reset || result.changedHosts.length > 0) {
      // Re-lists are rare and worth seeing; single changes are many during a deploy.
      this.#logger[update.reset ? 'info' : 'debug'](
        {
          revision: update.revision,
          reset: update.reset,
          changes: update.changes.length,
          changedHosts: result.changedHosts.length,
          hosts: result.table.size,
          buildMs: Math.round(this.#lastBuildMs * 100) / 100,
        },
        'route table updated',
      );
    }
    for (const listener of this.#listeners) {
      try {
        listener(result.table, result);
      } catch (error) {
        this.#logger.error({ err: error }, 'route table listener failed');
      }
    }
  };

  /** Calls `listener` for every new table; returns the unsubscribe function. */
  subscribe(listener: TableListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void {
    this.#listeners.clear();
    this.backends.close();
  }
}
