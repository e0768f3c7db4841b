import { describe, expect, it } from 'vitest';
import { addressesVariable, clashingServices, formatAddresses } from './addresses-variable.js';

describe('addressesVariable', () => {
  it.each([
    ['db', 'WHARF_DB_ADDRS'],
    ['my-db.eu', 'WHARF_MY_DB_EU_ADDRS'],
    ['api:v2', 'WHARF_API_V2_ADDRS'],
    ['Cache_2', 'WHARF_CACHE_2_ADDRS'],
    ['9lives', 'WHARF_9LIVES_ADDRS'],
  ])('%s → %s', (service, variable) => {
    expect(addressesVariable(service)).toBe(variable);
  });

  it('finds services that would share a variable', () => {
    expect(clashingServices(['db', 'cache', 'db'])).toBeUndefined();
    expect(clashingServices(['my-db', 'cache', 'my.db'])).toEqual(['my-db', 'my.db']);
  });
});

describe('formatAddresses', () => {
  it('joins address:port with commas, IPv6 in brackets', () => {
    expect(
      formatAddresses([
        { address: '10.0.0.5', port: 32768 },
        { address: 'fd00::6', port: 80 },
      ]),
    ).toBe('10.0.0.5:32768,[fd00::6]:80');
    expect(formatAddresses([])).toBe('');
  });
});
