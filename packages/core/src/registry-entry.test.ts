import { describe, expect, it } from 'vitest';
import { drainRecord, endpointValue, routeRecord } from '../../../test/support/records.js';
import { prefixEnd } from './etcd-store.js';
import { KeyLayout } from './key-layout.js';
import { RegistryContents } from './registry-contents.js';
import { decodeRegistryEntry } from './registry-entry.js';

const layout = new KeyLayout('/wharf');

describe('decodeRegistryEntry', () => {
  it('decodes each kind of key with its own schema', () => {
    const endpoint = decodeRegistryEntry(
      layout,
      '/wharf/services/web/n1:web-1:80',
      endpointValue({ service: 'web', id: 'n1:web-1:80' }),
    );
    expect(endpoint.ok && [endpoint.entry.kind, endpoint.entry.parsed]).toEqual([
      'endpoint',
      { kind: 'endpoint', service: 'web', instanceId: 'n1:web-1:80' },
    ]);
    const route = decodeRegistryEntry(
      layout,
      '/wharf/routes/r1',
      JSON.stringify(routeRecord({ host: 'A.test', service: 'web' })),
    );
    expect(route.ok && route.entry.record).toEqual({ v: 1, host: 'a.test', pathPrefix: '/', service: 'web' });
    // A drain under a route key is not a route.
    expect(
      decodeRegistryEntry(layout, '/wharf/routes/r1', JSON.stringify(drainRecord({ service: 'web' }))).ok,
    ).toBe(false);
  });

  it('says why a key or value is refused', () => {
    expect(decodeRegistryEntry(layout, '/wharf/other/x', '{}')).toEqual({
      ok: false,
      rejected: {
        key: '/wharf/other/x',
        code: 'WHARF_INVALID_RECORD',
        reason: 'key is not part of the wharf key layout',
      },
    });
    expect(decodeRegistryEntry(layout, '/wharf/drains/x', '{"v":2}')).toMatchObject({
      ok: false,
      rejected: { code: 'WHARF_UNKNOWN_VERSION' },
    });
  });
});

describe('RegistryContents', () => {
  it('keeps records by kind and reports each change with what was there before', () => {
    const contents = new RegistryContents(layout);
    const decode = (key: string, value: string) => {
      const decoded = decodeRegistryEntry(layout, key, value);
      if (!decoded.ok) throw new Error(decoded.rejected.reason);
      return decoded.entry;
    };
    const key = '/wharf/drains/n1:web-1:80';
    expect(contents.set(decode(key, JSON.stringify(drainRecord({ service: 'web' }))))).toMatchObject({
      kind: 'drain',
      previous: undefined,
      current: { service: 'web' },
    });
    expect(contents.drains.has(key)).toBe(true);
    expect([...contents.keys()]).toEqual([key]);
    expect(contents.delete(key)).toMatchObject({
      kind: 'drain',
      current: undefined,
      previous: { service: 'web' },
    });
    expect(contents.delete(key)).toBeUndefined();
  });
});

describe('key helpers', () => {
  it('prefixEnd bounds a prefix as etcd does; drainKeyOf names an endpoint’s drain', () => {
    expect(prefixEnd('/wharf/')).toBe('/wharf0');
    expect(prefixEnd('/wharf/drains/')).toBe('/wharf/drains0');
    expect(layout.drainKeyOf('/wharf/services/web/n1:web-1:80')).toBe('/wharf/drains/n1:web-1:80');
    expect(layout.drainKeyOf('/wharf/routes/r1')).toBeUndefined();
  });
});
