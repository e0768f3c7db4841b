import { describe, expect, it } from 'vitest';
import { TieredRoundRobin, WeightedRoundRobin } from './weighted-round-robin.js';

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

describe('TieredRoundRobin (zone preference)', () => {
  const zoned = (name: string, zone: string, weight = 1) => ({ name, zone, weight });
  const inZone = (item: { zone: string }) => item.zone === 'a';

  it('keeps every pick in the preferred tier while it can answer', () => {
    const rr = new TieredRoundRobin([zoned('a1', 'a'), zoned('a2', 'a'), zoned('b1', 'b')], inZone);
    const names = Array.from({ length: 6 }, () => rr.pick()?.name);
    expect(new Set(names)).toEqual(new Set(['a1', 'a2']));
  });

  it('falls back to the other zones when the preferred tier is ejected, excluded or weightless', () => {
    const rr = new TieredRoundRobin([zoned('a1', 'a'), zoned('b1', 'b'), zoned('b2', 'b')], inZone);
    expect(rr.pick((item) => item.name !== 'a1')?.zone).toBe('b');
    const a1 = rr.items[0]!;
    expect(rr.pick(undefined, [a1])?.zone).toBe('b');
    const weightless = new TieredRoundRobin([zoned('a1', 'a', 0), zoned('b1', 'b')], inZone);
    expect(weightless.pick()?.name).toBe('b1');
  });

  it('is a plain round-robin without a preference, or when every item is preferred', () => {
    const plain = new TieredRoundRobin([zoned('a1', 'a'), zoned('b1', 'b')]);
    expect(new Set([plain.pick()?.name, plain.pick()?.name])).toEqual(new Set(['a1', 'b1']));
    const all = new TieredRoundRobin([zoned('a1', 'a'), zoned('a2', 'a')], inZone);
    expect(all.preferred).toHaveLength(2);
  });
});
