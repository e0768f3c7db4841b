import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { detectHostIp } from './host-address.js';

const v4 = (address: string, internal = false) =>
  ({ address, family: 'IPv4', internal, netmask: '', mac: '', cidr: null }) as NetworkInterfaceInfo;
const v6 = (address: string) =>
  ({
    address,
    family: 'IPv6',
    internal: false,
    netmask: '',
    mac: '',
    cidr: null,
    scopeid: 0,
  }) as NetworkInterfaceInfo;

describe('detectHostIp', () => {
  it('skips loopback and Docker interfaces', () => {
    expect(
      detectHostIp({
        lo: [v4('127.0.0.1', true)],
        docker0: [v4('172.17.0.1')],
        'br-0123abcd': [v4('172.18.0.1')],
        eth0: [v6('fe80::1'), v4('10.0.0.5')],
      }),
    ).toBe('10.0.0.5');
  });

  it('falls back to global IPv6, then 127.0.0.1', () => {
    expect(detectHostIp({ eth0: [v6('fe80::1'), v6('2001:db8::5')] })).toBe('2001:db8::5');
    expect(detectHostIp({ lo: [v4('127.0.0.1', true)], docker0: [v4('172.17.0.1')] })).toBe('127.0.0.1');
  });
});
