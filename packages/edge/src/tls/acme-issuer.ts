import { X509Certificate } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type AcmeChallengeRecord,
  type AcmeChallengeType,
  type AcmeStatusRecord,
  type CertificateRecord,
  decodeAcmeStatusRecord,
  decodeCertificateRecord,
  type EtcdClient,
  encodeRecord,
  type KeyLayout,
  type Logger,
  PrivateKeyCipher,
  RECORD_VERSION,
  silentLogger,
} from '@wharf/core';
import type { RouteTable } from '../routing/route-table.js';
import { type AcmeAccount, loadAcmeAccount } from './acme-account.js';
import { type AcmeLibrary, loadAcmeLibrary } from './acme-library.js';
import { HTTP_CHALLENGE_PATH } from './challenge-set.js';
import { EdgeLease } from './edge-lease.js';
import { acquireIssuanceLock, type HeldLock, releaseIssuanceLock } from './issuance-lock.js';
import { decideIssuance, retryDelayMs } from './renewal-policy.js';
import type { AcmeConfig } from './tls-config.js';
import type { TlsState } from './tls-state.js';

export interface AcmeIssuerOptions {
  readonly client: EtcdClient;
  readonly layout: KeyLayout;
  readonly config: AcmeConfig;
  readonly cipher: PrivateKeyCipher | undefined;
  readonly leaseTtlSeconds: number;
  /** Names this edge in locks and status records. */
  readonly holder: string;
  /** The certificate records under `<prefix>/certs/`, as the edge's watcher mirrors them. */
  readonly certificates: () => ReadonlyMap<string, CertificateRecord>;
  /** What this edge serves now (to see files and operator records, and its own challenges). */
  readonly tls: () => TlsState;
  readonly logger?: Logger;
  readonly now?: () => number;
}

/** How often a lock held by another edge is looked at again. */
const LOCK_RETRY_MS = 2_000;
/** Nothing waits longer than this between passes (a missed wake-up costs at most this). */
const MAX_IDLE_MS = 60_000;
/** How long a challenge record may take to reach this edge's watch before the CA is told to look. */
const CHALLENGE_VISIBLE_MS = 5_000;
/** A little more for the other edges, which see it through their own watches. */
const CHALLENGE_SPREAD_MS = 300;

class OrderAborted extends Error {
  readonly code = 'WHARF_ACME_ABORTED';
}

/**
 * Obtains and renews certificates for the hosts whose routes ask for one (`wharf.tls=auto`),
 * over ACME, sharing everything through etcd:
 *
 * - one edge orders a given certificate at a time: a lock on this edge's lease (an edge that
 *   dies mid-order loses it with its lease, and another finishes);
 * - challenges are records on the same lease, answered by every edge (the CA may reach any);
 * - the issued certificate is a record under `<prefix>/certs/<host>` that every edge serves as
 *   soon as its watch delivers it;
 * - failures back off (30 s doubling, capped at an hour) in a status record all edges honour,
 *   so several edges never multiply the attempts a CA rate-limits. The old certificate keeps
 *   being served meanwhile.
 *
 * Renewal starts when a third of a certificate's lifetime is left. Private keys are sealed with
 * `WHARF_TLS_KEY_FILE` when set, and never logged.
 */
export class AcmeIssuer {
  readonly #options: AcmeIssuerOptions;
  readonly #logger: Logger;
  readonly #now: () => number;
  /** Hosts whose routes ask for a certificate. */
  readonly #wanted = new Set<string>();
  /** Hosts not to look at again before this time (lock held elsewhere, backoff). */
  readonly #notBefore = new Map<string, number>();
  readonly #warned = new Set<string>();
  #account: AcmeAccount | undefined;
  #wake: (() => void) | undefined;
  #woken = false;

  constructor(options: AcmeIssuerOptions) {
    this.#options = options;
    this.#logger = (options.logger ?? silentLogger).child({ component: 'acme' });
    this.#now = options.now ?? Date.now;
  }

  /** Hosts that currently ask for a certificate, sorted. */
  get wanted(): string[] {
    return [...this.#wanted].sort();
  }

  /** A new route table: notes which of the changed hosts ask for a certificate. */
  routesChanged(table: RouteTable, changedHosts: readonly string[]): void {
    let changed = false;
    for (const host of changedHosts) {
      const routes = host.startsWith('*.') ? table.wildcard.get(host.slice(2)) : table.exact.get(host);
      const wants = routes?.pools.some((pool) => pool.tls.auto) ?? false;
      if (wants && host.startsWith('*.')) {
        if (!this.#warned.has(host))
          this.#logger.warn(
            { host },
            'wharf.tls=auto on a wildcard host: ACME issues wildcards over DNS-01 only; skipped',
          );
        this.#warned.add(host);
        continue;
      }
      if (wants === this.#wanted.has(host)) continue;
      changed = true;
      if (wants) this.#wanted.add(host);
      else this.#wanted.delete(host);
    }
    if (changed) this.wake();
  }

  /** Something changed (certificates, routes): look again now. */
  wake(): void {
    this.#woken = true;
    this.#wake?.();
  }

  /** Issues and renews until `signal` aborts; then releases its lease (locks, challenges). */
  async run(signal: AbortSignal): Promise<void> {
    const lease = new EdgeLease(this.#options.client, this.#options.leaseTtlSeconds, this.#logger);
    try {
      while (!signal.aborted) {
        this.#woken = false;
        let nextAt: number;
        try {
          nextAt = await this.#pass(lease, signal);
        } catch (error) {
          if (signal.aborted) break;
          this.#logger.warn(
            { code: (error as { code?: string }).code, reason: (error as Error).message },
            'ACME pass failed; retrying',
          );
          nextAt = this.#now() + LOCK_RETRY_MS;
        }
        if (this.#woken) continue;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, Math.max(0, Math.min(nextAt - this.#now(), MAX_IDLE_MS)));
          function done() {
            clearTimeout(timer);
            signal.removeEventListener('abort', done);
            resolve();
          }
          this.#wake = done;
          signal.addEventListener('abort', done, { once: true });
        });
        this.#wake = undefined;
      }
    } finally {
      await lease.revoke();
    }
  }

  /** Looks at every wanted host once; returns when to look again. */
  async #pass(lease: EdgeLease, signal: AbortSignal): Promise<number> {
    let nextAt = this.#now() + MAX_IDLE_MS;
    for (const host of this.wanted) {
      if (signal.aborted) break;
      const now = this.#now();
      const notBefore = this.#notBefore.get(host) ?? 0;
      if (now < notBefore) {
        nextAt = Math.min(nextAt, notBefore);
        continue;
      }
      const decision = decideIssuance({
        existing: this.#acmeRecord(
          this.#options.certificates().get(this.#options.layout.certificateKey(host)),
        ),
        coveredElsewhere: this.#coveredElsewhere(host),
        status: undefined,
        now,
      });
      if (!decision.due) {
        if (decision.at !== undefined) nextAt = Math.min(nextAt, decision.at);
        continue;
      }
      const retryAt = await this.#tryIssue(host, lease, signal);
      if (retryAt !== undefined) {
        this.#notBefore.set(host, retryAt);
        nextAt = Math.min(nextAt, retryAt);
      }
    }
    return nextAt;
  }

  /** Orders one certificate under the lock; returns when to look at the host again, if not at once. */
  async #tryIssue(host: string, lease: EdgeLease, signal: AbortSignal): Promise<number | undefined> {
    const { client, layout } = this.#options;
    const leaseId = await lease.id();
    const acquired = await acquireIssuanceLock(client, layout, host, leaseId, this.#options.holder);
    if ('heldBy' in acquired) {
      this.#logger.debug(
        { host, holder: acquired.heldBy?.holder },
        'another edge is issuing this certificate',
      );
      return this.#now() + LOCK_RETRY_MS;
    }
    const lock = acquired.held;
    try {
      // Fresh from etcd under the lock: the certificate another edge just stored, the shared backoff.
      const [existing, status] = await Promise.all([this.#readCertificate(host), this.#readStatus(host)]);
      const decision = decideIssuance({
        existing,
        coveredElsewhere: this.#coveredElsewhere(host),
        status,
        now: this.#now(),
      });
      if (!decision.due) return decision.at;
      const started = this.#now();
      this.#logger.info(
        { host, reason: decision.reason, failures: status?.failures ?? 0 },
        'ordering certificate',
      );
      try {
        const record = await this.#order(host, lock, leaseId, signal);
        const stored = await client
          .if(lock.key, 'Value', '==', lock.value)
          .then(client.put(layout.certificateKey(host)).value(encodeRecord(record)))
          .commit();
        if (!stored.succeeded)
          throw new Error(
            'the issuance lock was lost (edge lease expired) before the certificate was stored',
          );
        await this.#writeStatus(host, { failures: 0 });
        this.#logger.info(
          { host, notAfter: record.notAfter, durationMs: this.#now() - started },
          'certificate issued',
        );
        return undefined;
      } catch (error) {
        if (signal.aborted) return undefined;
        const failures = (status?.failures ?? 0) + 1;
        const delayMs = retryDelayMs(failures);
        const reason = describeError(error);
        await this.#writeStatus(host, {
          failures,
          nextAttemptAt: new Date(this.#now() + delayMs).toISOString(),
          lastError: reason,
        }).catch(() => {});
        this.#logger.warn(
          {
            host,
            failures,
            retryInMs: delayMs,
            reason,
            serving: existing ? 'the previous certificate' : 'none',
          },
          'certificate order failed',
        );
        return this.#now() + delayMs;
      }
    } finally {
      await releaseIssuanceLock(client, lock);
    }
  }

  async #order(
    host: string,
    lock: HeldLock,
    leaseId: string,
    signal: AbortSignal,
  ): Promise<CertificateRecord> {
    const { client: etcd, layout, config } = this.#options;
    const acme = await loadAcmeLibrary(config.ca);
    this.#account ??= await loadAcmeAccount({
      client: etcd,
      layout,
      config,
      cipher: this.#options.cipher,
      acme,
    });
    const account = this.#account;
    const acmeClient = new acme.Client({
      directoryUrl: config.directory,
      accountKey: account.key,
      accountUrl: account.url,
      backoffAttempts: 30,
      backoffMin: 250,
      backoffMax: 5_000,
    });
    const checkpoint = () => {
      if (signal.aborted) throw new OrderAborted('edge stopping');
    };
    const [key, csr] = await acme.crypto.createCsr(
      { commonName: host, altNames: [host] },
      await acme.crypto.createPrivateEcdsaKey(),
    );
    const order = await acmeClient.createOrder({ identifiers: [{ type: 'dns', value: host }] });
    const authorizations = await acmeClient.getAuthorizations(order);
    const placed: string[] = [];
    try {
      for (const authorization of authorizations) {
        checkpoint();
        if (authorization.status === 'valid') continue;
        const challenge = config.challenges
          .map((type) => authorization.challenges.find((offered) => offered.type === type))
          .find((offered) => offered !== undefined);
        if (challenge === undefined)
          throw new Error(
            `the CA offers none of ${config.challenges.join(', ')} for ${authorization.identifier.value}`,
          );
        const keyAuthorization = await acmeClient.getChallengeKeyAuthorization(challenge);
        const record = await challengeRecord(
          acme,
          authorization,
          challenge.type as AcmeChallengeType,
          challenge.token,
          keyAuthorization,
        );
        const challengeKey = layout.challengeKey(challenge.token);
        const put = await etcd
          .if(lock.key, 'Value', '==', lock.value)
          .then(etcd.put(challengeKey).value(encodeRecord(record)).lease(leaseId))
          .commit();
        if (!put.succeeded)
          throw new Error('the issuance lock was lost (edge lease expired) during the order');
        placed.push(challengeKey);
        await this.#challengeVisible(record, signal);
        await acmeClient.completeChallenge(challenge);
        await acmeClient.waitForValidStatus(challenge);
      }
      checkpoint();
      const finalized = await acmeClient.finalizeOrder(order, csr);
      const chain = await acmeClient.getCertificate(finalized);
      const leaf = new X509Certificate(chain);
      return {
        v: RECORD_VERSION,
        domains: [host],
        chain,
        key: PrivateKeyCipher.store(key.toString(), this.#options.cipher),
        notBefore: new Date(leaf.validFrom).toISOString(),
        notAfter: new Date(leaf.validTo).toISOString(),
        source: 'acme',
      };
    } finally {
      for (const challengeKey of placed)
        await etcd
          .delete()
          .key(challengeKey)
          .catch(() => {});
    }
  }

  /** Waits until this edge's own watch delivered the challenge, then a little for the other edges. */
  async #challengeVisible(record: AcmeChallengeRecord, signal: AbortSignal): Promise<void> {
    const deadline = this.#now() + CHALLENGE_VISIBLE_MS;
    const visible = () => {
      const challenges = this.#options.tls().challenges;
      return record.type === 'http-01'
        ? challenges.httpResponse(`${HTTP_CHALLENGE_PATH}${record.token}`) !== undefined
        : challenges.alpn(record.domain) !== undefined;
    };
    while (!visible() && this.#now() < deadline) await sleep(25, undefined, { signal });
    await sleep(CHALLENGE_SPREAD_MS, undefined, { signal });
  }

  /** A record wharf issued (source `acme`); an operator's record under the same name is theirs. */
  #acmeRecord(record: CertificateRecord | undefined): CertificateRecord | undefined {
    return record?.source === 'acme' ? record : undefined;
  }

  /** A file or an operator's record serves the host: wharf never orders over it. */
  #coveredElsewhere(host: string): boolean {
    const operatorRecord = this.#options.certificates().get(this.#options.layout.certificateKey(host));
    if (operatorRecord !== undefined && operatorRecord.source !== 'acme') return true;
    const certificates = this.#options.tls().certificates;
    if (!certificates.covers(host)) return false;
    const served = certificates.select(host);
    return served !== undefined && served.source !== 'acme' && served.notAfter > this.#now();
  }

  async #readCertificate(host: string): Promise<CertificateRecord | undefined> {
    const raw = await this.#options.client.get(this.#options.layout.certificateKey(host)).buffer();
    if (raw === null) return undefined;
    const decoded = decodeCertificateRecord(raw);
    return decoded.ok ? this.#acmeRecord(decoded.record) : undefined;
  }

  async #readStatus(host: string): Promise<AcmeStatusRecord | undefined> {
    const raw = await this.#options.client.get(this.#options.layout.acmeKey('status', host)).buffer();
    if (raw === null) return undefined;
    const decoded = decodeAcmeStatusRecord(raw);
    return decoded.ok ? decoded.record : undefined;
  }

  async #writeStatus(
    host: string,
    fields: Pick<AcmeStatusRecord, 'failures' | 'nextAttemptAt' | 'lastError'>,
  ): Promise<void> {
    const record: AcmeStatusRecord = {
      v: RECORD_VERSION,
      ...fields,
      lastAttemptAt: new Date(this.#now()).toISOString(),
      holder: this.#options.holder,
    };
    await this.#options.client.put(this.#options.layout.acmeKey('status', host)).value(encodeRecord(record));
  }
}

async function challengeRecord(
  acme: AcmeLibrary,
  authorization: Parameters<AcmeLibrary['crypto']['createAlpnCertificate']>[0],
  type: AcmeChallengeType,
  token: string,
  keyAuthorization: string,
): Promise<AcmeChallengeRecord> {
  const base = {
    v: RECORD_VERSION,
    type,
    domain: authorization.identifier.value,
    token,
    keyAuthorization,
  } as const;
  if (type !== 'tls-alpn-01') return base;
  const [key, certificate] = await acme.crypto.createAlpnCertificate(
    authorization,
    keyAuthorization,
    await acme.crypto.createPrivateEcdsaKey(),
  );
  return { ...base, certificate: certificate.toString(), key: key.toString() };
}

/** One line for logs and the status record: the CA's problem detail, never key material. */
function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/-----BEGIN[\s\S]*?-----END[^-]*-----/g, '[PEM]').slice(0, 1_000);
}
