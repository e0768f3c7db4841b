import type { Logger, RegistryUpdate } from '@wharf/core';
import { silentLogger } from '@wharf/core';
import type { RouteTable } from './routing/route-table.js';
import { RouteTableBuilder, type RouteTableResult } from './routing/route-table-builder.js';

export interface LiveRoutesOptions {
  readonly allowLinkLocal?: boolean;
  /** The edge's zone (`WHARF_ZONE`). */
  readonly zone?: string | undefined;
  /** How long a route that lost its last serving endpoint stays known (`WHARF_ROUTE_GRACE`). */
  readonly graceMs?: number;
  readonly logger?: Logger;
}

export type TableListener = (table: RouteTable, result: RouteTableResult) => void;

/**
 * The controller's one mutable reference: the current route table. Each registry update is
 * built into a new table off to the side; listeners (the data plane, the dashboard) hear about
 * each new table and what its batch changed, in order.
 */
export class LiveRoutes {
  readonly #builder: RouteTableBuilder;
  readonly #listeners = new Set<TableListener>();
  readonly #logger: Logger;
  #table: RouteTable;
  #lastBuildMs = 0;
  #expiry: NodeJS.Timeout | undefined;

  constructor(options: LiveRoutesOptions = {}) {
    this.#logger = (options.logger ?? silentLogger).child({ component: 'live-routes' });
    this.#builder = new RouteTableBuilder({
      allowLinkLocal: options.allowLinkLocal ?? false,
      zone: options.zone,
      graceMs: options.graceMs ?? 0,
      logger: options.logger,
    });
    this.#table = this.#builder.table;
  }

  /** The current table. */
  get table(): RouteTable {
    return this.#table;
  }

  /** Milliseconds the last batch took to build. */
  get lastBuildMs(): number {
    return this.#lastBuildMs;
  }

  /** Builds one registry update into a new table and tells every listener. */
  apply(update: Pick<RegistryUpdate, 'revision' | 'changes' | 'reset'>): RouteTableResult {
    const started = performance.now();
    const result = this.#builder.apply(update);
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
    this.#publish(result);
    return result;
  }

  #publish(result: RouteTableResult): void {
    this.#table = result.table;
    for (const listener of this.#listeners) {
      try {
        listener(result.table, result);
      } catch (error) {
        this.#logger.error({ err: error }, 'route table listener failed');
      }
    }
    this.#scheduleExpiry();
  }

  /** Held routes are forgotten when their grace runs out, without waiting for the next change. */
  #scheduleExpiry(): void {
    clearTimeout(this.#expiry);
    const next = this.#builder.nextExpiry;
    if (next === undefined) return;
    this.#expiry = setTimeout(
      () => {
        const result = this.#builder.expire();
        if (result.changedHosts.length > 0)
          this.#logger.info({ hosts: result.changedHosts }, 'grace over: routes without endpoints forgotten');
        this.#publish(result);
      },
      Math.max(0, next - Date.now()),
    );
    this.#expiry.unref();
  }

  /** Calls `listener` for every new table; returns the unsubscribe function. */
  subscribe(listener: TableListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void {
    clearTimeout(this.#expiry);
    this.#listeners.clear();
  }
}
