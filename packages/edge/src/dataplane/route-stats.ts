/**
 * A response status: the exact code, or its class where a plane only counts classes (HAProxy
 * counts the responses of each backend by class; `other` is its bucket for invalid codes).
 */
export type ResponseStatus = number | '1xx' | '2xx' | '3xx' | '4xx' | '5xx' | 'other';

/** True for 5xx codes and the `5xx` class. */
export function isServerError(status: ResponseStatus): boolean {
  return typeof status === 'number' ? status >= 500 && status <= 599 : status === '5xx';
}

/** Requests per route and status since start, plus what the dashboard subscribes to. */
export interface RouteCounters {
  readonly route: string;
  readonly byStatus: ReadonlyMap<ResponseStatus, number>;
}

/**
 * Why an upstream attempt failed: the connection was refused or failed, it was not accepted
 * within the connect timeout (`WHARF_CONNECT_TIMEOUT`: a host that vanished), it broke after
 * connecting without a response, the response did not come in time, or the backend answered
 * with something that is not a valid HTTP response.
 */
export type UpstreamFailureKind = 'connect' | 'connect_timeout' | 'reset' | 'timeout' | 'invalid_response';

/**
 * Per-route request counters kept as plain numbers on the hot path (no label hashing per
 * request); Prometheus metrics and the dashboard read them at scrape or tick time.
 */
export class RouteStats {
  /** The route label for requests that matched no route. */
  static readonly UNROUTED = '-';
  readonly #routes = new Map<string, Map<number, number>>();
  readonly #failures = new Map<UpstreamFailureKind, number>();

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

  /** One failed upstream attempt (a retried attempt counts too). */
  recordFailure(kind: UpstreamFailureKind): void {
    this.#failures.set(kind, (this.#failures.get(kind) ?? 0) + 1);
  }

  /** Failed upstream attempts by kind since start. */
  get failures(): ReadonlyMap<UpstreamFailureKind, number> {
    return this.#failures;
  }
}
