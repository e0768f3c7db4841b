import { describe, expect, it } from 'vitest';
import { LayeredMap } from './layered-map.js';

describe('LayeredMap', () => {
  it('behaves like a copied Map through many changes, with and without compaction', () => {
    const reference = new Map<string, number>();
    for (let index = 0; index < 300; index++) reference.set(`k${index}`, index);
    let layered = LayeredMap.of(new Map(reference));
    let random = 7;
    const next = () => {
      random = (random * 48_271) % 2_147_483_647;
      return random;
    };
    for (let round = 0; round < 250; round++) {
      const changes = new Map<string, number | undefined>();
      for (let change = 0; change < 1 + (next() % 4); change++) {
        const key = `k${next() % 450}`;
        const value = next() % 3 === 0 ? undefined : round;
        changes.set(key, value);
      }
      const before = layered;
      const beforeEntries = [...before].sort();
      layered = layered.with(changes);
      for (const [key, value] of changes) {
        if (value === undefined) reference.delete(key);
        else reference.set(key, value);
      }
      // The previous map is untouched (tables are immutable once swapped in).
      expect([...before].sort()).toEqual(beforeEntries);
      expect(layered.size).toBe(reference.size);
      for (const key of changes.keys()) {
        expect(layered.get(key)).toBe(reference.get(key));
        expect(layered.has(key)).toBe(reference.has(key));
      }
    }
    expect(new Map(layered)).toEqual(reference);
    expect([...layered.keys()].sort()).toEqual([...reference.keys()].sort());
    expect([...layered.values()].length).toBe(reference.size);
  });
});
