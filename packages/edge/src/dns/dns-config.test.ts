import { ConfigReader } from '@wharf/core';
import { describe, expect, it } from 'vitest';
import { readDnsConfig } from './dns-config.js';

const read = (env: Record<string, string>) => readDnsConfig(new ConfigReader(env));

describe('readDnsConfig', () => {
  it('is off by default, for the domain wharf. with a 5 s TTL', () => {
    expect(read({})).toEqual({ listen: undefined, domain: 'wharf', ttlSeconds: 5 });
    expect(read({ WHARF_DNS_LISTEN: 'off' }).listen).toBeUndefined();
    expect(Object.isFrozen(read({}))).toBe(true);
  });

  it('reads the listener, a domain with or without its trailing dot, and the TTL', () => {
    expect(
      read({ WHARF_DNS_LISTEN: '127.0.0.1:5353', WHARF_DNS_DOMAIN: 'SD.Example.com.', WHARF_DNS_TTL: '2s' }),
    ).toEqual({ listen: { host: '127.0.0.1', port: 5353 }, domain: 'sd.example.com', ttlSeconds: 2 });
    expect(read({ WHARF_DNS_LISTEN: ':53', WHARF_DNS_DOMAIN: 'wharf', WHARF_DNS_TTL: '0' })).toEqual({
      listen: { host: '0.0.0.0', port: 53 },
      domain: 'wharf',
      ttlSeconds: 0,
    });
  });

  it.each([
    ['WHARF_DNS_LISTEN', 'anywhere'],
    ['WHARF_DNS_DOMAIN', '.'],
    ['WHARF_DNS_DOMAIN', 'a..b'],
    ['WHARF_DNS_DOMAIN', 'bad domain'],
    ['WHARF_DNS_DOMAIN', '-wharf'],
    ['WHARF_DNS_TTL', '1500ms'],
    ['WHARF_DNS_TTL', '2h'],
  ])('refuses %s=%s naming the variable', (variable, value) => {
    expect(() => read({ [variable]: value })).toThrow(
      expect.objectContaining({ code: 'WHARF_CONFIG_INVALID', variable }),
    );
  });
});
