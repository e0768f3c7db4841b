import { describe, expect, it } from 'vitest';
import { CertificateSet } from './certificate-set.js';
import type { ServedCertificate } from './served-certificate.js';

const NOW = Date.parse('2026-06-01T00:00:00Z');
const DAY = 86_400_000;

function certificate(
  name: string,
  domains: string[],
  options: Partial<ServedCertificate> = {},
): ServedCertificate {
  return {
    name,
    origin: 'etcd',
    source: 'acme',
    domains,
    notBefore: NOW - DAY,
    notAfter: NOW + 60 * DAY,
    chain: '',
    key: '',
    fingerprint: name,
    ...options,
  };
}

describe('CertificateSet', () => {
  it('prefers an exact name to a wildcard, and a wildcard covers exactly one label', () => {
    const wildcard = certificate('wild', ['*.example.com']);
    const exact = certificate('www', ['www.example.com']);
    const set = new CertificateSet([wildcard, exact], NOW);
    expect(set.select('www.example.com')?.name).toBe('www');
    expect(set.select('WWW.Example.COM.')?.name).toBe('www');
    expect(set.select('api.example.com')?.name).toBe('wild');
    expect(set.select('a.b.example.com')).toBeUndefined();
    expect(set.select('example.com')).toBeUndefined();
    expect(set.covers('api.example.com')).toBe(true);
    expect(set.covers('other.test')).toBe(false);
  });

  it('gives an unknown or missing SNI the default certificate, or nothing when none is set', () => {
    const web = certificate('web', ['web.test']);
    expect(new CertificateSet([web], NOW).select('other.test')).toBeUndefined();
    expect(new CertificateSet([web], NOW).select(undefined)).toBeUndefined();
    const fallback = certificate('default', ['edge.test'], { origin: 'file', source: 'file' });
    const set = new CertificateSet([web, fallback], NOW);
    expect(set.select('other.test')?.name).toBe('default');
    expect(set.select(undefined)?.name).toBe('default');
    expect(set.select('')?.name).toBe('default');
    expect(set.select('web.test')?.name).toBe('web');
  });

  it('among certificates for one name: unexpired, then files, then operator records, then the longest-lived', () => {
    const issued = certificate('issued', ['a.test'], { notAfter: NOW + 90 * DAY });
    const operator = certificate('operator', ['a.test'], { source: 'manual' });
    const file = certificate('file', ['a.test'], { origin: 'file', source: 'file' });
    const expiredFile = certificate('old-file', ['a.test'], {
      origin: 'file',
      source: 'file',
      notAfter: NOW - 1,
    });
    expect(new CertificateSet([issued, operator], NOW).select('a.test')?.name).toBe('operator');
    expect(new CertificateSet([issued, operator, file], NOW).select('a.test')?.name).toBe('file');
    expect(new CertificateSet([expiredFile, issued], NOW).select('a.test')?.name).toBe('issued');
    const renewed = certificate('renewed', ['a.test'], { notAfter: NOW + 120 * DAY });
    expect(new CertificateSet([issued, renewed], NOW).select('a.test')?.name).toBe('renewed');
  });
});
