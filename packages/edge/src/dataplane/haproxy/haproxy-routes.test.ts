import { describe, expect, it } from 'vitest';
import { haproxyWeights, isMappablePrefix, routeMapKey, wildcardMapKey } from './haproxy-routes.js';

describe('routeMapKey', () => {
  it('ends every key with a slash so prefixes match on segment boundaries', () => {
    expect(routeMapKey('web.test', '/')).toBe('web.test/');
    expect(routeMapKey('web.test', '/api')).toBe('web.test/api/');
    expect(routeMapKey('*.web.test', '/api/v1')).toBe('*.web.test/api/v1/');
    // The request key is host + path + '/': /api/x/ and /api/ start with it, /apix/ does not.
    const key = routeMapKey('web.test', '/api');
    expect('web.test/api/x/'.startsWith(key)).toBe(true);
    expect('web.test/api/'.startsWith(key)).toBe(true);
    expect('web.test/apix/'.startsWith(key)).toBe(false);
  });

  it('keys wildcards by their suffix with its dot, so the apex does not match', () => {
    expect(wildcardMapKey('*.example.com')).toBe('.example.com');
    expect('a.b.example.com'.endsWith(wildcardMapKey('*.example.com'))).toBe(true);
    expect('example.com'.endsWith(wildcardMapKey('*.example.com'))).toBe(false);
  });
});

describe('haproxyWeights', () => {
  it('keeps weights that fit and scales larger ones together', () => {
    expect(haproxyWeights([1, 3, 0])).toEqual([1, 3, 0]);
    expect(haproxyWeights([256, 1])).toEqual([256, 1]);
    expect(haproxyWeights([10_000, 5_000, 0])).toEqual([256, 128, 0]);
    // A small weight beside a large one stays above 0.
    expect(haproxyWeights([10_000, 1])).toEqual([256, 1]);
    expect(haproxyWeights([])).toEqual([]);
  });
});

describe('isMappablePrefix', () => {
  it('refuses what a map file or the Runtime API would split or unescape', () => {
    expect(isMappablePrefix('/api;v=1')).toBe(true);
    expect(isMappablePrefix('/a b')).toBe(false);
    expect(isMappablePrefix('/a\\b')).toBe(false);
  });
});
