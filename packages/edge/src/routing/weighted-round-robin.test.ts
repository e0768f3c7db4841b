import { describe, expect, it } from 'vitest';
import { WeightedRoundRobin } from './weighted-round-robin.js';

const item = (name: string, weight: number) => ({ name, weight });
const picks = (
  wrr: WeightedRoundRobin<{ name: string; weight: number }>,
  count: number,
  healthy?: (i: { name: string }) => boolean,
) => Array.from({ length: count }, () => wrr.pick(healthy)?.name ?? '-').join('');

describe('WeightedRoundRobin', () => {
  it('spreads picks smoothly by weight (nginx sequence)', () => {
    const wrr = new WeightedRoundRobin([item('a', 5), item('b', 1), item('c', 1)]);
    expect(picks(wrr, 7)).toBe('aabacaa');
    expect(picks(wrr, 7)).toBe('aabacaa');
  });

  it('alternates equal weights and never picks weight 0', () => {
    const wrr = new WeightedRoundRobin([item('a', 1), item('b', 1), item('z', 0)]);
    expect(picks(wrr, 6)).toBe('ababab');
    expect(new WeightedRoundRobin([item('z', 0)]).pick()).toBeUndefined();
    expect(new WeightedRoundRobin([]).pick()).toBeUndefined();
  });

  it('skips excluded items and returns undefined when none is left', () => {
    const a = item('a', 1);
    const b = item('b', 1);
    const wrr = new WeightedRoundRobin([a, b]);
    expect(wrr.pick(undefined, [a])).toBe(b);
    expect(wrr.pick(undefined, [a])).toBe(b);
    expect(wrr.pick(undefined, [a, b])).toBeUndefined();
  });

  it('honours ejections only up to half of the pool', () => {
    const wrr = new WeightedRoundRobin([item('a', 1), item('b', 1), item('c', 1), item('d', 1)]);
    expect(picks(wrr, 4, (i) => i.name !== 'a')).not.toContain('a');
    expect(picks(wrr, 4, (i) => i.name !== 'a' && i.name !== 'b')).toMatch(/^[cd]{4}$/);
    // Three of four ejected: more than half, so the ejections are ignored.
    expect(new Set(picks(wrr, 8, (i) => i.name === 'd'))).toEqual(new Set(['a', 'b', 'c', 'd']));
  });

  it('never ejects the only endpoint', () => {
    const wrr = new WeightedRoundRobin([item('a', 1)]);
    expect(wrr.pick(() => false)?.name).toBe('a');
  });
});
