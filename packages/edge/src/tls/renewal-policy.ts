import type { AcmeStatusRecord, CertificateRecord } from '@wharf/core';

/** First retry after a failed issuance; doubles per failure in a row. */
export const RETRY_INITIAL_MS = 30_000;
/** Retries never wait longer than this. */
export const RETRY_MAX_MS = 3_600_000;

/** When a certificate is renewed: once a third of its lifetime is left. */
export function renewalTime(notBefore: number, notAfter: number): number {
  return notAfter - (notAfter - notBefore) / 3;
}

/** How long to wait after `failures` failed attempts in a row (1 → 30 s, doubling, capped at 1 h), with ±10 % jitter. */
export function retryDelayMs(failures: number, random: () => number = Math.random): number {
  const base = Math.min(RETRY_MAX_MS, RETRY_INITIAL_MS * 2 ** Math.max(0, failures - 1));
  return Math.round(base * (0.9 + 0.2 * random()));
}

export type IssuanceDecision =
  /** Nothing to do until `at` (epoch ms), or ever (`at` undefined). */
  | { readonly due: false; readonly at: number | undefined; readonly reason: string }
  | { readonly due: true; readonly reason: 'missing' | 'renewal' | 'expired' };

/**
 * Whether a host that asks for an automatic certificate (`wharf.tls=auto`) needs an order now.
 * `existing` is the ACME certificate record named after the host; `coveredElsewhere` says a file
 * or an operator's record already serves it (those win, and wharf never orders over them);
 * `status` carries the shared backoff after failures.
 */
export function decideIssuance(input: {
  readonly existing: CertificateRecord | undefined;
  readonly coveredElsewhere: boolean;
  readonly status: AcmeStatusRecord | undefined;
  readonly now: number;
}): IssuanceDecision {
  const { existing, status, now } = input;
  if (input.coveredElsewhere)
    return { due: false, at: undefined, reason: 'served by a certificate wharf does not manage' };
  let reason: 'missing' | 'renewal' | 'expired' = 'missing';
  if (existing !== undefined) {
    const notBefore = Date.parse(existing.notBefore);
    const notAfter = Date.parse(existing.notAfter);
    const renewAt = renewalTime(notBefore, notAfter);
    if (now < renewAt) return { due: false, at: renewAt, reason: 'valid' };
    reason = now >= notAfter ? 'expired' : 'renewal';
  }
  const retryAt = status?.nextAttemptAt === undefined ? undefined : Date.parse(status.nextAttemptAt);
  if (retryAt !== undefined && status !== undefined && status.failures > 0 && now < retryAt)
    return { due: false, at: retryAt, reason: 'backing off after a failure' };
  return { due: true, reason };
}
