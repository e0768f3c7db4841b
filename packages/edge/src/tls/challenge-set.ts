import type { AcmeChallengeRecord } from '@wharf/core';

/** The path under which ACME HTTP-01 challenges are fetched (RFC 8555 §8.3). */
export const HTTP_CHALLENGE_PATH = '/.well-known/acme-challenge/';

/** The ALPN protocol of TLS-ALPN-01 validation connections (RFC 8737). */
export const ACME_TLS_ALPN = 'acme-tls/1';

export interface AlpnChallenge {
  readonly domain: string;
  /** PEM: the self-signed certificate carrying the key authorization, and its throwaway key. */
  readonly certificate: string;
  readonly key: string;
}

/**
 * The ACME challenges every edge answers, whichever edge placed the order: HTTP-01 by token on
 * the plain listener, TLS-ALPN-01 by host name on the TLS listener. Immutable; built from the
 * challenge records in etcd on each change.
 */
export class ChallengeSet {
  static readonly EMPTY = new ChallengeSet([]);

  readonly #http = new Map<string, string>();
  readonly #alpn = new Map<string, AlpnChallenge>();

  constructor(records: Iterable<AcmeChallengeRecord>) {
    for (const record of records) {
      if (record.type === 'http-01') this.#http.set(record.token, record.keyAuthorization);
      else if (record.certificate !== undefined && record.key !== undefined)
        this.#alpn.set(record.domain, {
          domain: record.domain,
          certificate: record.certificate,
          key: record.key,
        });
    }
  }

  get size(): number {
    return this.#http.size + this.#alpn.size;
  }

  /** True when some TLS-ALPN-01 validation may come in (the TLS listener then looks at ALPN). */
  get hasAlpn(): boolean {
    return this.#alpn.size > 0;
  }

  /**
   * The key authorization to answer for a request path, or undefined when the path is no
   * challenge this registry knows (it is then routed like any other request).
   */
  httpResponse(path: string): string | undefined {
    if (this.#http.size === 0 || !path.startsWith(HTTP_CHALLENGE_PATH)) return undefined;
    return this.#http.get(path.slice(HTTP_CHALLENGE_PATH.length));
  }

  /** Every HTTP-01 token with its key authorization (for planes that answer from a table). */
  httpChallenges(): IterableIterator<[token: string, keyAuthorization: string]> {
    return this.#http.entries();
  }

  alpn(serverName: string | undefined): AlpnChallenge | undefined {
    return serverName === undefined ? undefined : this.#alpn.get(serverName.toLowerCase().replace(/\.$/, ''));
  }
}

/** Is `path` an ACME HTTP-01 path (answered or not, it is never redirected to HTTPS)? */
export function isHttpChallengePath(path: string): boolean {
  return path.startsWith(HTTP_CHALLENGE_PATH);
}
