import { describe, expect, it } from 'vitest';
import { KeyLayout } from './key-layout.js';

describe('KeyLayout', () => {
  const layout = new KeyLayout('/wharf/');

  it('builds keys under the prefix', () => {
    expect(layout.endpointKey('web', 'h1:web-1:80')).toBe('/wharf/services/web/h1:web-1:80');
    expect(layout.bridgeKey('h1-bridge')).toBe('/wharf/bridges/h1-bridge');
    expect(layout.routeKey('r1')).toBe('/wharf/routes/r1');
    expect(layout.drainKey('h1:web-1:80')).toBe('/wharf/drains/h1:web-1:80');
    expect(layout.root).toBe('/wharf/');
  });

  it('refuses names that would escape their key', () => {
    expect(() => layout.endpointKey('web/../x', 'a')).toThrow(
      expect.objectContaining({ code: 'WHARF_INVALID_NAME' }),
    );
    expect(() => layout.bridgeKey('')).toThrow(expect.objectContaining({ code: 'WHARF_INVALID_NAME' }));
  });

  it('parses the keys it builds, and nothing else', () => {
    expect(layout.parse('/wharf/services/web/h1:web-1:80')).toEqual({
      kind: 'endpoint',
      service: 'web',
      instanceId: 'h1:web-1:80',
    });
    expect(layout.parse('/wharf/bridges/b1')).toEqual({ kind: 'bridge', bridgeId: 'b1' });
    expect(layout.parse('/wharf/routes/r1')).toEqual({ kind: 'route', routeId: 'r1' });
    expect(layout.parse('/wharf/drains/i1')).toEqual({ kind: 'drain', instanceId: 'i1' });
    expect(layout.parse(layout.certificateKey('web.example.com'))).toEqual({
      kind: 'certificate',
      name: 'web.example.com',
    });
    expect(layout.parse(layout.challengeKey('a-B_9'))).toEqual({ kind: 'challenge', token: 'a-B_9' });
    expect(layout.parse(layout.acmeKey('locks', 'web.example.com'))).toEqual({
      kind: 'acme',
      section: 'locks',
      name: 'web.example.com',
    });
    for (const key of [
      '/other/services/a/b',
      '/wharf/services/a',
      '/wharf/services/a/b/c',
      '/wharf/services/../b',
      '/wharf/x/y',
      '/wharf/routes/',
      '/wharf/certs/a/b',
      '/wharf/acme/orders/x',
      '/wharf/acme/locks',
      '/wharf/acme/challenges/a/b',
    ]) {
      expect(layout.parse(key)).toBeUndefined();
    }
  });

  it('refuses prefixes that are not absolute key paths', () => {
    expect(() => new KeyLayout('wharf')).toThrow(TypeError);
    expect(() => new KeyLayout('/')).toThrow(TypeError);
    expect(new KeyLayout('/a/b').services).toBe('/a/b/services/');
  });
});
