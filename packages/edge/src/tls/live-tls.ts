import type { CertificateRecord, Logger, RegistryUpdate } from '@wharf/core';
import { PrivateKeyCipher, silentLogger } from '@wharf/core';
import { Gauge, type Registry } from 'prom-client';
import type { DirectoryContents } from './certificate-directory.js';
import { CertificateSet } from './certificate-set.js';
import { ChallengeSet } from './challenge-set.js';
import { type ServedCertificate, servedCertificate } from './served-certificate.js';
import { EMPTY_TLS_STATE, type TlsState } from './tls-state.js';

export interface LiveTlsOptions {
  /** Opens sealed keys (`WHARF_TLS_KEY_FILE`). */
  readonly cipher?: PrivateKeyCipher | undefined;
  readonly logger?: Logger;
  readonly now?: () => number;
}

export type TlsListener = (state: TlsState) => void;

/**
 * The controller's TLS state: certificates from files and from etcd records, and the ACME
 * challenges in etcd, rebuilt off to the side on each change and handed to listeners (the data
 * plane) as one immutable `TlsState`. A record that cannot be served (a key that does not open
 * or match) is skipped with one warning; the others are unaffected.
 */
export class LiveTls {
  readonly #cipher: PrivateKeyCipher | undefined;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #listeners = new Set<TlsListener>();
  /** Record key → the certificate it gives (undefined when it cannot be served). */
  readonly #records = new Map<string, ServedCertificate | undefined>();
  #files: readonly ServedCertificate[] = [];
  #state: TlsState = EMPTY_TLS_STATE;

  constructor(options: LiveTlsOptions = {}) {
    this.#cipher = options.cipher;
    this.#logger = (options.logger ?? silentLogger).child({ component: 'tls' });
    this.#now = options.now ?? Date.now;
  }

  get state(): TlsState {
    return this.#state;
  }

  /** Certificates from `WHARF_TLS_CERTS`, whenever the directory changed. */
  setFiles(contents: DirectoryContents): void {
    this.#files = contents.certificates;
    this.#publish(this.#buildCertificates(), this.#state.challenges);
  }

  /** The certificate and challenge changes of one registry update. */
  apply(update: Pick<RegistryUpdate, 'changes' | 'state'>): void {
    let certificates = false;
    let challenges = false;
    for (const change of update.changes) {
      if (change.kind === 'certificate') {
        certificates = true;
        if (change.current)
          this.#records.set(change.key, this.#serve(change.key, change.parsed.name, change.current));
        else this.#records.delete(change.key);
      } else if (change.kind === 'challenge') {
        challenges = true;
      }
    }
    if (!certificates && !challenges) return;
    this.#publish(
      certificates ? this.#buildCertificates() : this.#state.certificates,
      challenges ? new ChallengeSet(update.state.challenges.values()) : this.#state.challenges,
    );
  }

  #serve(key: string, name: string, record: CertificateRecord): ServedCertificate | undefined {
    try {
      const served = servedCertificate({
        name,
        origin: 'etcd',
        source: record.source,
        chain: record.chain,
        key: PrivateKeyCipher.open(record.key, this.#cipher),
      });
      this.#logger.info(
        {
          key,
          domains: served.domains,
          notAfter: new Date(served.notAfter).toISOString(),
          source: served.source,
        },
        'certificate loaded',
      );
      return served;
    } catch (error) {
      const { code, message } = error as { code?: string; message: string };
      this.#logger.warn({ key, code, reason: message }, 'skipping certificate record');
      return undefined;
    }
  }

  #buildCertificates(): CertificateSet {
    const all = [...this.#files];
    for (const served of this.#records.values()) if (served) all.push(served);
    return new CertificateSet(all, this.#now());
  }

  #publish(certificates: CertificateSet, challenges: ChallengeSet): void {
    this.#state = Object.freeze({ certificates, challenges });
    for (const listener of this.#listeners) {
      try {
        listener(this.#state);
      } catch (error) {
        this.#logger.error({ err: error }, 'TLS state listener failed');
      }
    }
  }

  /** Calls `listener` with every new state; returns the unsubscribe function. */
  subscribe(listener: TlsListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void {
    this.#listeners.clear();
  }

  /** `wharf_tls_certificate_expiry_seconds`: seconds until each served certificate expires. */
  registerMetrics(registry: Registry): void {
    const live = this;
    new Gauge({
      name: 'wharf_tls_certificate_expiry_seconds',
      help: 'Seconds until a served certificate expires (negative once expired), by name, origin (file, etcd) and source.',
      labelNames: ['name', 'origin', 'source'],
      registers: [registry],
      collect() {
        this.reset();
        const now = live.#now();
        for (const certificate of live.#state.certificates.certificates)
          this.set(
            { name: certificate.name, origin: certificate.origin, source: certificate.source },
            Math.round((certificate.notAfter - now) / 1_000),
          );
      },
    });
  }
}
