import { encodeRecord } from '@wharf/core';
import { describe, expect, it } from 'vitest';
import { createPalette } from '../render/palette.js';
import { layout, NOW } from '../test-fixtures.js';
import { buildCertificateView, renderCertificates } from './certs.js';

const DAY = 86_400_000;
const renewalTime = (notBefore: number, notAfter: number) => notAfter - (notAfter - notBefore) / 3;
const certificate = (
  domains: string[],
  source: string,
  issued: number,
  days: number,
  key: unknown = 'PEM',
) => ({
  v: 1,
  domains,
  chain: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
  key: key === 'PEM' ? '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n' : key,
  notBefore: new Date(issued).toISOString(),
  notAfter: new Date(issued + days * DAY).toISOString(),
  source,
});
const kv = (key: string, value: unknown) => ({
  key,
  value: typeof value === 'string' ? value : encodeRecord(value as object),
});

describe('wharf certs', () => {
  const sealed = { alg: 'aes-256-gcm', kid: '0123456789abcdef', iv: 'AAAA', tag: 'AAAA', data: 'AAAA' };
  const listing = buildCertificateView(
    [
      kv(layout.certificateKey('a.test'), certificate(['a.test'], 'acme', NOW - 10 * DAY, 90, sealed)),
      kv(layout.certificateKey('b.test'), certificate(['b.test'], 'acme', NOW - 70 * DAY, 90)),
      kv(
        layout.certificateKey('wild'),
        certificate(['*.example.com', 'example.com'], 'manual', NOW - 400 * DAY, 365),
      ),
      kv(layout.certificateKey('bad'), 'not json'),
      kv(layout.acmeKey('locks', 'b.test'), {
        v: 1,
        holder: 'edge-2:41',
        since: new Date(NOW).toISOString(),
      }),
      kv(layout.acmeKey('status', 'c.test'), {
        v: 1,
        failures: 3,
        lastAttemptAt: new Date(NOW).toISOString(),
        nextAttemptAt: '2026-01-02T04:00:00.000Z',
        lastError: 'urn:ietf:params:acme:error:connection',
      }),
      kv(layout.challengeKey('tok'), {
        v: 1,
        type: 'http-01',
        domain: 'c.test',
        token: 'tok',
        keyAuthorization: 'tok.x',
      }),
    ],
    layout,
    NOW,
    renewalTime,
  );

  it('joins certificates with the issuers’ locks and status, including hosts still being obtained', () => {
    expect(
      listing.certificates.map(({ name, status, source, sealed, failures }) => ({
        name,
        status,
        source,
        sealed,
        failures,
      })),
    ).toEqual([
      { name: 'a.test', status: 'valid', source: 'acme', sealed: true, failures: 0 },
      { name: 'b.test', status: 'issuing', source: 'acme', sealed: false, failures: 0 },
      { name: 'c.test', status: 'failing', source: 'acme', sealed: false, failures: 3 },
      { name: 'wild', status: 'expired', source: 'manual', sealed: false, failures: 0 },
    ]);
    expect(listing.skipped).toEqual([{ key: layout.certificateKey('bad'), reason: 'value is not JSON' }]);
    expect(JSON.stringify(listing)).not.toContain('PRIVATE KEY');
  });

  it('renders name, domains, source, not-after and status', () => {
    const lines = renderCertificates(listing.certificates, createPalette(false), NOW).split('\n');
    expect(lines[0]).toMatch(/^NAME\s+DOMAINS\s+SOURCE\s+NOT AFTER\s+STATUS$/);
    expect(lines[1]).toMatch(/^a\.test\s+a\.test\s+acme\s+2026-03-23T03:04:05Z \(in 80d\)\s+valid$/);
    expect(lines[2]).toMatch(/issuing \(edge-2:41\)$/);
    expect(lines[3]).toMatch(
      /^c\.test\s+c\.test\s+acme\s+-\s+failing: 3 attempts, next 2026-01-02T04:00:00.000Z$/,
    );
    expect(lines.join('\n')).toContain('*.example.com');
  });
});
