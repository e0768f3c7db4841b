import { isServerError, type RouteCounters } from '../dataplane/route-stats.js';
import type { RouteRate } from './browser/dashboard-protocol.js';

export type { RouteRate };

export interface DashboardRatesOptions {
  /** How far back a rate looks; ticks arrive about once a second, so this smooths over a few. */
  readonly windowMs?: number;
}

interface Totals {
  readonly requests: number;
  readonly errors: number;
}

interface Sample {
  readonly at: number;
  readonly totals: ReadonlyMap<string, Totals>;
}

/**
 * Turns monotonically growing per-route counters into rates: each `sample` is compared with the
 * oldest sample still inside the window. Pure: the caller passes the time. A total that went
 * down (a clustered worker was replaced and its counters restarted) counts from zero rather
 * than as a negative rate.
 */
export class DashboardRates {
  readonly #windowMs: number;
  #samples: Sample[] = [];

  constructor(options: DashboardRatesOptions = {}) {
    this.#windowMs = options.windowMs ?? 5_000;
  }

  /** Records the counters as they are at `now` (epoch ms) and returns every route's rate. */
  sample(now: number, counters: Iterable<RouteCounters>): Map<string, RouteRate> {
    const totals = new Map<string, Totals>();
    for (const { route, byStatus } of counters) {
      let requests = 0;
      let errors = 0;
      for (const [status, count] of byStatus) {
        requests += count;
        if (isServerError(status)) errors += count;
      }
      totals.set(route, { requests, errors });
    }
    // Keep the newest sample at or before the window's start as the baseline, drop older ones.
    const samples = this.#samples.filter((sample) => sample.at <= now);
    while (samples.length > 1 && samples[1]!.at <= now - this.#windowMs) samples.shift();
    const baseline = samples[0];
    samples.push({ at: now, totals });
    this.#samples = samples;

    const rates = new Map<string, RouteRate>();
    const seconds = baseline === undefined ? 0 : (now - baseline.at) / 1_000;
    for (const [route, current] of totals) {
      const before = baseline?.totals.get(route) ?? { requests: 0, errors: 0 };
      const restarted = current.requests < before.requests || current.errors < before.errors;
      const requests = restarted ? current.requests : current.requests - before.requests;
      const errors = restarted ? current.errors : current.errors - before.errors;
      rates.set(route, {
        // The first sample has no interval to divide by: it reports totals only.
        requestsPerSecond: seconds > 0 ? requests / seconds : 0,
        errorShare: seconds > 0 && requests > 0 ? errors / requests : null,
        requests: current.requests,
        errors: current.errors,
      });
    }
    return rates;
  }
}
