import { describe, expect, it } from 'vitest';
import { refuseBackendAddress } from './backend-address.js';

describe('refuseBackendAddress', () => {
  it('allows ordinary addresses and DNS names', () => {
    for (const address of ['10.0.0.5', '127.0.0.1', '192.168.1.1', '::1', '2001:db8::1', 'web.internal']) {
      expect(refuseBackendAddress(address, false), address).toBeUndefined();
    }
  });

  it('refuses unspecified and multicast always, link-local unless allowed', () => {
    for (const address of ['0.0.0.0', '::', '224.0.0.1', '239.1.1.1', 'ff02::1', '255.255.255.255']) {
      expect(refuseBackendAddress(address, true), address).toBeDefined();
    }
    for (const address of ['169.254.169.254', 'fe80::1']) {
      expect(refuseBackendAddress(address, false), address).toMatch(/link-local/);
      expect(refuseBackendAddress(address, true), address).toBeUndefined();
    }
  });
});
