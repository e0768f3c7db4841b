import { createPrivateKey, X509Certificate } from 'node:crypto';
import { WharfError } from '@wharf/core';

/** Where a certificate came from: a file in `WHARF_TLS_CERTS`, or a record under `<prefix>/certs/`. */
export type CertificateOrigin = 'file' | 'etcd';

/**
 * A certificate the edge can serve, checked: the chain parses, the key matches its leaf, and the
 * names it covers are the leaf's own (subjectAltName DNS names, else the common name) — whatever
 * a record claims, clients check these. Immutable; the data planes build their TLS contexts
 * from `chain` and `key` (PEM, never logged).
 */
export interface ServedCertificate {
  /** File base name, or record name. */
  readonly name: string;
  readonly origin: CertificateOrigin;
  /** `file`, or the record's `source` (`acme`, `manual`, …). */
  readonly source: string;
  /** Lowercase DNS names, `*.` wildcards included. */
  readonly domains: readonly string[];
  /** Epoch milliseconds. */
  readonly notBefore: number;
  readonly notAfter: number;
  /** PEM, leaf first. */
  readonly chain: string;
  /** PEM. */
  readonly key: string;
  /** SHA-256 fingerprint of the leaf, to tell one issuance from the next. */
  readonly fingerprint: string;
}

/** A certificate or key that cannot be served (unparsable, mismatched, no names). */
export class InvalidCertificateError extends WharfError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('WHARF_TLS_CERTIFICATE_INVALID', message, options);
  }
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The PEM certificates in `text`, in order. */
export function splitPemCertificates(text: string): string[] {
  return text.match(PEM_BLOCK) ?? [];
}

/** The DNS names a leaf certificate covers, lowercase. */
export function certificateDomains(leaf: X509Certificate): string[] {
  const names = new Set<string>();
  for (const entry of (leaf.subjectAltName ?? '').split(/,\s*/)) {
    if (entry.startsWith('DNS:')) names.add(entry.slice(4).toLowerCase().replace(/\.$/, ''));
  }
  if (names.size === 0) {
    const commonName = /(?:^|\n)CN=([^\n]+)/.exec(leaf.subject)?.[1];
    if (commonName) names.add(commonName.toLowerCase());
  }
  return [...names].filter((name) => name !== '');
}

/** Checks a chain and key and returns them as a `ServedCertificate`; throws `InvalidCertificateError`. */
export function servedCertificate(input: {
  readonly name: string;
  readonly origin: CertificateOrigin;
  readonly source: string;
  readonly chain: string;
  readonly key: string;
}): ServedCertificate {
  const certificates = splitPemCertificates(input.chain);
  if (certificates.length === 0) throw new InvalidCertificateError(`${input.name}: no PEM certificate`);
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(certificates[0]!);
  } catch (cause) {
    throw new InvalidCertificateError(`${input.name}: the certificate does not parse`, { cause });
  }
  let matches = false;
  try {
    matches = leaf.checkPrivateKey(createPrivateKey(input.key));
  } catch (cause) {
    // The cause may quote key material: keep only its code.
    const code = (cause as { code?: string }).code ?? 'unknown';
    throw new InvalidCertificateError(`${input.name}: the private key does not parse (${code})`);
  }
  if (!matches)
    throw new InvalidCertificateError(`${input.name}: the private key does not match the certificate`);
  const domains = certificateDomains(leaf);
  if (domains.length === 0) throw new InvalidCertificateError(`${input.name}: the certificate names no host`);
  return Object.freeze({
    name: input.name,
    origin: input.origin,
    source: input.source,
    domains: Object.freeze(domains),
    notBefore: Date.parse(leaf.validFrom),
    notAfter: Date.parse(leaf.validTo),
    chain: certificates.join('\n'),
    key: input.key,
    fingerprint: leaf.fingerprint256,
  });
}
