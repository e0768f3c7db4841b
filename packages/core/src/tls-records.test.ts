import { describe, expect, it } from 'vitest';
import { decodeEndpointRecord, decodeRouteRecord } from './records.js';
import { decodeAcmeChallengeRecord, decodeCertificateRecord } from './tls-records.js';

const CHAIN = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN EC PRIVATE KEY-----\nMHcC\n-----END EC PRIVATE KEY-----\n';
const certificate = {
  v: 1,
  domains: ['Web.Example.com', '*.api.example.com'],
  chain: CHAIN,
  key: KEY,
  notBefore: '2026-01-01T00:00:00.000Z',
  notAfter: '2026-04-01T00:00:00.000Z',
  source: 'acme',
};
const decode = (value: unknown) => decodeCertificateRecord(JSON.stringify(value));
const codeOf = (result: ReturnType<typeof decode> | ReturnType<typeof decodeAcmeChallengeRecord>) =>
  result.ok ? 'ok' : result.error.code;

describe('certificate records', () => {
  it('decodes PEM and sealed keys, normalising domains', () => {
    const result = decode(certificate);
    expect(result.ok && result.record.domains).toEqual(['web.example.com', '*.api.example.com']);
    const sealed = { alg: 'aes-256-gcm', kid: '0123456789abcdef', iv: 'AAAA', tag: 'AAAA', data: 'AAAA' };
    expect(codeOf(decode({ ...certificate, key: sealed }))).toBe('ok');
  });

  it('refuses what no edge could serve', () => {
    expect(codeOf(decode({ ...certificate, domains: [] }))).toBe('WHARF_INVALID_RECORD');
    expect(codeOf(decode({ ...certificate, domains: ['a b'] }))).toBe('WHARF_INVALID_RECORD');
    expect(codeOf(decode({ ...certificate, chain: 'not pem' }))).toBe('WHARF_INVALID_RECORD');
    expect(codeOf(decode({ ...certificate, key: { alg: 'rot13' } }))).toBe('WHARF_INVALID_RECORD');
    expect(codeOf(decode({ ...certificate, source: 'Bad Source' }))).toBe('WHARF_INVALID_RECORD');
    expect(codeOf(decode({ ...certificate, v: 2 }))).toBe('WHARF_UNKNOWN_VERSION');
  });
});

describe('ACME challenge records', () => {
  const challenge = {
    v: 1,
    type: 'http-01',
    domain: 'web.example.com',
    token: 'tok_EN-1',
    keyAuthorization: 'tok_EN-1.thumb-print_2',
  };
  it('accepts http-01 and tls-alpn-01 for plain host names only', () => {
    expect(codeOf(decodeAcmeChallengeRecord(JSON.stringify(challenge)))).toBe('ok');
    const alpn = { ...challenge, type: 'tls-alpn-01', certificate: CHAIN, key: KEY };
    expect(codeOf(decodeAcmeChallengeRecord(JSON.stringify(alpn)))).toBe('ok');
    for (const bad of [
      { ...challenge, type: 'dns-01' },
      { ...challenge, domain: '*.example.com' },
      { ...challenge, token: '../x' },
      { ...challenge, keyAuthorization: '<script>' },
    ])
      expect(codeOf(decodeAcmeChallengeRecord(JSON.stringify(bad)))).toBe('WHARF_INVALID_RECORD');
  });
});

describe('route TLS fields', () => {
  it('ride on endpoint routes and operator routes, absent by default', () => {
    const route = { v: 1, host: 'a.test', service: 'web', tls: 'auto', redirect: 'https', hsts: 31_536_000 };
    const decoded = decodeRouteRecord(JSON.stringify(route));
    expect(decoded.ok && decoded.record).toMatchObject({ tls: 'auto', redirect: 'https', hsts: 31_536_000 });
    const plain = decodeRouteRecord(JSON.stringify({ v: 1, host: 'a.test', service: 'web' }));
    expect(plain.ok && plain.record).toEqual({ v: 1, host: 'a.test', pathPrefix: '/', service: 'web' });
    expect(codeOf(decodeRouteRecord(JSON.stringify({ ...route, redirect: 'http' })) as never)).toBe(
      'WHARF_INVALID_RECORD',
    );
    const endpoint = decodeEndpointRecord(
      JSON.stringify({
        v: 1,
        service: 'web',
        id: 'h:web:80',
        address: '10.0.0.5',
        port: 80,
        node: 'h',
        bridge: 'b',
        routes: [{ host: 'a.test', tls: 'auto' }],
        state: 'serving',
        registeredAt: '2026-01-01T00:00:00.000Z',
      }),
    );
    expect(endpoint.ok && endpoint.record.routes).toEqual([{ host: 'a.test', pathPrefix: '/', tls: 'auto' }]);
  });
});
