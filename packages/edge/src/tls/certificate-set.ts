import type { ServedCertificate } from './served-certificate.js';

/** The name of the certificate served to clients whose SNI no other certificate covers. */
export const DEFAULT_CERTIFICATE_NAME = 'default';

/** Files beat etcd records that operators wrote, which beat certificates the edges issued. */
function originRank(certificate: ServedCertificate): number {
  if (certificate.origin === 'file') return 0;
  return certificate.source === 'acme' ? 2 : 1;
}

/**
 * Orders the candidates for one name: unexpired first, then by origin (above), then the one
 * that lasts longest (a renewed certificate beats the one it replaces), then by name.
 */
function better(a: ServedCertificate, b: ServedCertificate, now: number): boolean {
  const aLive = a.notAfter > now;
  const bLive = b.notAfter > now;
  if (aLive !== bLive) return aLive;
  const rank = originRank(a) - originRank(b);
  if (rank !== 0) return rank < 0;
  if (a.notAfter !== b.notAfter) return a.notAfter > b.notAfter;
  return a.name < b.name;
}

/**
 * Every certificate the edge serves, indexed by the names they cover, and the choice made for
 * each TLS handshake: an exact name beats a wildcard (`*.example.com` covers exactly one label in
 * front, as clients check it, RFC 6125 §6.4.3); a name nothing covers — or no SNI at all — gets
 * the certificate named `default` when there is one, else nothing, and the handshake fails.
 * Immutable and pure: built off to the side, swapped in by one reference.
 */
export class CertificateSet {
  static readonly EMPTY = new CertificateSet([], 0);

  readonly certificates: readonly ServedCertificate[];
  readonly default: ServedCertificate | undefined;
  readonly #exact = new Map<string, ServedCertificate>();
  /** Keyed by the suffix after `*.`. */
  readonly #wildcard = new Map<string, ServedCertificate>();

  constructor(certificates: readonly ServedCertificate[], now: number) {
    this.certificates = certificates;
    let fallback: ServedCertificate | undefined;
    for (const certificate of certificates) {
      if (certificate.name === DEFAULT_CERTIFICATE_NAME && (!fallback || better(certificate, fallback, now)))
        fallback = certificate;
      for (const domain of certificate.domains) {
        const wildcard = domain.startsWith('*.');
        const map = wildcard ? this.#wildcard : this.#exact;
        const key = wildcard ? domain.slice(2) : domain;
        const current = map.get(key);
        if (!current || better(certificate, current, now)) map.set(key, certificate);
      }
    }
    this.default = fallback;
  }

  get size(): number {
    return this.certificates.length;
  }

  /** The certificate for a client's SNI (any case, trailing dot allowed), or undefined: fail the handshake. */
  select(serverName: string | undefined): ServedCertificate | undefined {
    if (!serverName) return this.default;
    const name = serverName.toLowerCase().replace(/\.$/, '');
    const exact = this.#exact.get(name);
    if (exact) return exact;
    const dot = name.indexOf('.');
    const wildcard = dot > 0 ? this.#wildcard.get(name.slice(dot + 1)) : undefined;
    return wildcard ?? this.default;
  }

  /** True when a certificate other than the default covers `host` (exactly or by wildcard). */
  covers(host: string): boolean {
    const name = host.toLowerCase();
    if (this.#exact.has(name)) return true;
    const dot = name.indexOf('.');
    return dot > 0 && this.#wildcard.has(name.slice(dot + 1));
  }
}
