import { describe, expect, it } from 'vitest';
import { DashboardRates } from './dashboard-rates.js';

const counters = (routes: Record<string, Record<number, number>>) =>
  Object.entries(routes).map(([route, byStatus]) => ({
    route,
    byStatus: new Map(Object.entries(byStatus).map(([status, count]) => [Number(status), count])),
  }));

describe('DashboardRates', () => {
  it('reports totals but no rate on the first sample', () => {
    const rates = new DashboardRates();
    const first = rates.sample(1_000, counters({ 'a.test/': { 200: 10, 503: 2 } }));
    expect(first.get('a.test/')).toEqual({ requestsPerSecond: 0, errorShare: null, requests: 12, errors: 2 });
  });

  it('computes requests per second and the 5xx share since the baseline', () => {
    const rates = new DashboardRates({ windowMs: 5_000 });
    rates.sample(0, counters({ 'a.test/': { 200: 100 } }));
    const next = rates.sample(2_000, counters({ 'a.test/': { 200: 180, 502: 10, 504: 10, 404: 0 } }));
    expect(next.get('a.test/')).toEqual({
      requestsPerSecond: 50,
      errorShare: 0.2,
      requests: 200,
      errors: 20,
    });
  });

  it('counts only 5xx as errors', () => {
    const rates = new DashboardRates();
    rates.sample(0, counters({}));
    const next = rates.sample(
      1_000,
      counters({ r: { 200: 1, 301: 1, 404: 1, 499: 1, 500: 1, 599: 1, 600: 1 } }),
    );
    expect(next.get('r')?.errors).toBe(2);
  });

  it('slides the window so old traffic stops counting', () => {
    const rates = new DashboardRates({ windowMs: 3_000 });
    rates.sample(0, counters({ r: { 200: 0 } }));
    rates.sample(1_000, counters({ r: { 200: 300 } }));
    rates.sample(2_000, counters({ r: { 200: 300 } }));
    rates.sample(3_000, counters({ r: { 200: 300 } }));
    rates.sample(4_000, counters({ r: { 200: 300 } }));
    // Baseline is the sample at 1 s (newest at or before 4 s − 3 s): nothing since.
    expect(rates.sample(4_000, counters({ r: { 200: 300 } })).get('r')?.requestsPerSecond).toBe(0);
    const later = new DashboardRates({ windowMs: 3_000 });
    later.sample(0, counters({ r: { 200: 0 } }));
    later.sample(1_000, counters({ r: { 200: 300 } }));
    expect(later.sample(2_000, counters({ r: { 200: 300 } })).get('r')?.requestsPerSecond).toBe(150);
  });

  it('treats a route first seen mid-window as counted from zero', () => {
    const rates = new DashboardRates();
    rates.sample(0, counters({}));
    expect(rates.sample(2_000, counters({ fresh: { 200: 8 } })).get('fresh')?.requestsPerSecond).toBe(4);
  });

  it('never reports a negative rate when counters restart', () => {
    const rates = new DashboardRates();
    rates.sample(0, counters({ r: { 200: 1_000, 500: 10 } }));
    const next = rates.sample(1_000, counters({ r: { 200: 30, 500: 0 } }));
    expect(next.get('r')).toEqual({ requestsPerSecond: 30, errorShare: 0, requests: 30, errors: 0 });
  });

  it('ignores samples from the future of a clock that stepped back', () => {
    const rates = new DashboardRates();
    rates.sample(10_000, counters({ r: { 200: 50 } }));
    const next = rates.sample(5_000, counters({ r: { 200: 60 } }));
    expect(next.get('r')?.requestsPerSecond).toBe(0);
  });
});
