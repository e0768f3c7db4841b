/** Requests per route and status since start, plus what the dashboard subscribes to. */
export interface RouteCounters {
  readonly route: string;
  readonly byStatus: ReadonlyMap<number, number>;
}

/**
 * Per-route request counters kept as plain numbers on the hot path (no label hashing per
 * request); Prometheus metrics and the dashboard read them at scrape or tick time.
 */
export class RouteStats {
  /** The route label for requests that matched no route. */
  static readonly UNROUTED = '-';
  readonly #routes = new Map<string, Map<number, number>>();

  record(route: string, status: number): void {
    let byStatus = this.#routes.get(route);
    if (byStatus === undefined) {
      byStatus = new Map();
      this.#routes.set(route, byStatus);
    }
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
  }

  *entries(): IterableIterator<RouteCounters> {
    for (const [route, byStatus] of this.#routes) yield { route, byStatus };
  }

  /** A JSON-friendly copy: `{ route: { status: count } }`. */
  snapshot(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const [route, byStatus] of this.#routes) out[route] = Object.fromEntries(byStatus);
    return out;
  }
}
