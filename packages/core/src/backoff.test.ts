import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';

describe('Backoff', () => {
  it('doubles up to the cap, with jitter within the upper half of each step', () => {
    const low = new Backoff({ initialMs: 100, maxMs: 1_000, random: () => 0 });
    const high = new Backoff({ initialMs: 100, maxMs: 1_000, random: () => 0.999999 });
    const lows = Array.from({ length: 6 }, () => low.next());
    const highs = Array.from({ length: 6 }, () => high.next());
    expect(lows).toEqual([50, 100, 200, 400, 500, 500]);
    expect(highs).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('starts over after reset', () => {
    const backoff = new Backoff({ initialMs: 100, maxMs: 1_000, random: () => 0 });
    backoff.next();
    backoff.next();
    expect(backoff.attempt).toBe(2);
    backoff.reset();
    expect(backoff.next()).toBe(50);
  });

  it('refuses nonsense options', () => {
    expect(() => new Backoff({ initialMs: 0 })).toThrow(RangeError);
    expect(() => new Backoff({ initialMs: 10, maxMs: 5 })).toThrow(RangeError);
  });
});
