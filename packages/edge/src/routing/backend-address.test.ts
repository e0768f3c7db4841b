import { describe, expect, it } from 'vitest';
import {
  BackendAddressCheck,
  backendLookup,
  ForbiddenBackendAddressError,
  refuseBackendAddress,
} from './backend-address.js';

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

describe('refuseBackendAddress: metadata in disguise', () => {
  it('refuses AWS IPv6 metadata and IPv4-mapped link-local unless allowed', () => {
    for (const address of ['fd00:ec2::254', '::ffff:169.254.169.254', 'fe80::a9fe:a9fe']) {
      expect(refuseBackendAddress(address, false), address).toMatch(/link-local or metadata/);
      expect(refuseBackendAddress(address, true), address).toBeUndefined();
    }
  });

  it('refuses names the resolver reads as IPv4 numbers, even with link-local allowed', () => {
    for (const address of ['2852039166', '0xa9fea9fe', '169.254.43518', '0251.0376.0251.0376', '10.1']) {
      expect(refuseBackendAddress(address, true), address).toMatch(/numeric host name/);
    }
    for (const address of ['1e100.net', '0x.example', 'web-1', 'a1.b2']) {
      expect(refuseBackendAddress(address, false), address).toBeUndefined();
    }
  });
});

describe('BackendAddressCheck', () => {
  it('answers like refuseBackendAddress and keeps a bounded cache', () => {
    const check = new BackendAddressCheck(false, 2);
    for (const address of ['10.0.0.1', '169.254.169.254', '10.0.0.1', '0.0.0.0', 'web.internal']) {
      expect(check.refuse(address), address).toBe(refuseBackendAddress(address, false));
    }
  });
});

describe('backendLookup', () => {
  const resolve = (allowLinkLocal: boolean, hostname: string, all: boolean) =>
    new Promise<{ error: NodeJS.ErrnoException | null; address: unknown }>((done) =>
      backendLookup(allowLinkLocal)(hostname, { all }, (error, address) => done({ error, address })),
    );

  it('refuses a name that resolves to the metadata address', async () => {
    // getaddrinfo reads a bare number as an IPv4 address without asking DNS.
    for (const all of [false, true]) {
      const { error } = await resolve(false, '2852039166', all);
      expect(error).toBeInstanceOf(ForbiddenBackendAddressError);
      expect(error?.code).toBe('WHARF_FORBIDDEN_BACKEND_ADDRESS');
    }
    expect((await resolve(true, '2852039166', false)).error).toBeNull();
  });

  it('passes ordinary resolutions through', async () => {
    const { error, address } = await resolve(false, '2130706433', false);
    expect(error).toBeNull();
    expect(address).toBe('127.0.0.1');
  });
});

describe('refuseBackendAddress: IPv4 fast path', () => {
  it('agrees with BlockList ranges at their edges', () => {
    const cases: [string, boolean][] = [
      ['0.1.2.3', true],
      ['1.0.0.0', false],
      ['223.255.255.255', false],
      ['224.0.0.0', true],
      ['239.255.255.255', true],
      ['240.0.0.1', false],
      ['255.255.255.255', true],
      ['255.255.255.254', false],
      ['169.253.255.255', false],
      ['169.254.0.0', true],
      ['169.255.0.0', false],
      ['16.254.1.1', false],
    ];
    for (const [address, refused] of cases) {
      expect(refuseBackendAddress(address, false) !== undefined, address).toBe(refused);
    }
  });
});
