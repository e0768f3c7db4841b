import { describe, expect, it } from 'vitest';
import { preferZone, zoneOf } from './zones.js';

const at = (id: string, ...tags: string[]) => ({ id, tags });

describe('zoneOf', () => {
  it('reads the first zone= tag', () => {
    expect(zoneOf(at('a', 'blue', 'zone=eu-1a', 'zone=eu-1b'))).toBe('eu-1a');
    expect(zoneOf(at('a', 'blue'))).toBeUndefined();
  });
});

describe('preferZone', () => {
  const records = [at('a', 'zone=eu-1a'), at('b', 'zone=eu-1b'), at('c'), at('d', 'zone=eu-1a')];

  it('keeps the endpoints of the zone while it has any', () => {
    expect(preferZone(records, 'eu-1a').map((record) => record.id)).toEqual(['a', 'd']);
  });

  it('falls back to every endpoint when the zone has none', () => {
    expect(preferZone(records, 'us-2').map((record) => record.id)).toEqual(['a', 'b', 'c', 'd']);
    expect(preferZone([], 'eu-1a')).toEqual([]);
  });

  it('keeps all without a zone', () => {
    expect(preferZone(records, undefined)).toHaveLength(4);
  });
});
