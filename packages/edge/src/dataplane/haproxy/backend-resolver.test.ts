import { describe, expect, it } from 'vitest';
import { BackendResolver, type Lookup } from './backend-resolver.js';

/** A resolver with a fixed table of answers; `answers` can be changed between calls. */
function resolverOf(answers: Record<string, string[]>, allowLinkLocal = false) {
  let asked = 0;
  const lookup: Lookup = async (hostname) => {
    asked += 1;
    const addresses = answers[hostname];
    if (addresses === undefined)
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return { resolver: new BackendResolver({ allowLinkLocal, lookup }), asked: () => asked };
}

describe('BackendResolver', () => {
  it('passes IP literals through and resolves names once, until asked to refresh', async () => {
    const { resolver, asked } = resolverOf({ 'app.internal': ['10.0.0.7'] });
    expect(resolver.resolve('10.0.0.5')).toBe('10.0.0.5');
    expect(resolver.resolve('app.internal')).toBeUndefined();
    await resolver.prepare(['app.internal', '10.0.0.5', 'app.internal']);
    expect(resolver.resolve('app.internal')).toBe('10.0.0.7');
    await resolver.prepare(['app.internal']);
    expect(asked()).toBe(1);
  });

  it('refuses a name with any address the edge must not connect to', async () => {
    const { resolver } = resolverOf({
      metadata: ['10.0.0.1', '169.254.169.254'],
      multicast: ['224.0.0.1'],
      mapped: ['::ffff:169.254.169.254'],
    });
    await resolver.prepare(['metadata', 'multicast', 'mapped', 'missing']);
    for (const name of ['metadata', 'multicast', 'mapped', 'missing'])
      expect(resolver.resolve(name)).toBeUndefined();
  });

  it('allows link-local answers when told to', async () => {
    const { resolver } = resolverOf({ local: ['169.254.1.2'] }, true);
    await resolver.prepare(['local']);
    expect(resolver.resolve('local')).toBe('169.254.1.2');
  });

  it('reports the names whose answer changed on refresh, and forgets names no longer used', async () => {
    const answers: Record<string, string[]> = { a: ['10.0.0.1'], b: ['10.0.0.2'] };
    const { resolver } = resolverOf(answers);
    await resolver.prepare(['a', 'b']);
    answers.a = ['10.0.0.9'];
    expect(await resolver.refresh()).toEqual(new Set(['a']));
    expect(resolver.resolve('a')).toBe('10.0.0.9');
    resolver.retain(new Set(['a']));
    expect(resolver.resolve('b')).toBeUndefined();
  });
});
