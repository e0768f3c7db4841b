import { describe, expect, it } from 'vitest';
import { normalisePathPrefix, pathMatches } from './path-prefix.js';

describe('path prefixes', () => {
  it('match on path-segment boundaries', () => {
    expect(pathMatches('/api', '/api')).toBe(true);
    expect(pathMatches('/api/x', '/api')).toBe(true);
    expect(pathMatches('/api?q=1', '/api')).toBe(true);
    expect(pathMatches('/apix', '/api')).toBe(false);
    expect(pathMatches('/Api', '/api')).toBe(false);
    expect(pathMatches('/anything', '/')).toBe(true);
  });

  it('drop trailing slashes except the root', () => {
    expect(normalisePathPrefix('/api/')).toBe('/api');
    expect(normalisePathPrefix('/api//')).toBe('/api');
    expect(normalisePathPrefix('/')).toBe('/');
    expect(normalisePathPrefix('/a/b')).toBe('/a/b');
  });
});
