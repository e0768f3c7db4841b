import type { AcmeStatusRecord, CertificateRecord } from '@wharf/core';
import { describe, expect, it } from 'vitest';
import { decideIssuance, RETRY_MAX_MS, renewalTime, retryDelayMs } from './renewal-policy.js';

const DAY = 86_400_000;
const START = Date.parse('2026-01-01T00:00:00Z');
const issued = (days: number): CertificateRecord => ({
  v: 1,
  domains: ['a.test'],
  chain: '',
  key: '',
  notBefore: new Date(START).toISOString(),
  notAfter: new Date(START + days * DAY).toISOString(),
  source: 'acme',
});
const failing = (failures: number, nextAttemptAt: number): AcmeStatusRecord => ({
  v: 1,
  failures,
  lastAttemptAt: new Date(START).toISOString(),
  nextAttemptAt: new Date(nextAttemptAt).toISOString(),
});

describe('renewal policy', () => {
  it('renews once a third of the lifetime is left', () => {
    expect(renewalTime(START, START + 90 * DAY)).toBe(START + 60 * DAY);
    const existing = issued(90);
    expect(
      decideIssuance({ existing, coveredElsewhere: false, status: undefined, now: START + 59 * DAY }),
    ).toEqual({
      due: false,
      at: START + 60 * DAY,
      reason: 'valid',
    });
    expect(
      decideIssuance({ existing, coveredElsewhere: false, status: undefined, now: START + 60 * DAY }),
    ).toEqual({
      due: true,
      reason: 'renewal',
    });
    expect(
      decideIssuance({ existing, coveredElsewhere: false, status: undefined, now: START + 91 * DAY }),
    ).toEqual({
      due: true,
      reason: 'expired',
    });
  });

  it('orders a missing certificate unless a file or an operator record serves the host', () => {
    expect(
      decideIssuance({ existing: undefined, coveredElsewhere: false, status: undefined, now: START }),
    ).toEqual({
      due: true,
      reason: 'missing',
    });
    expect(
      decideIssuance({ existing: undefined, coveredElsewhere: true, status: undefined, now: START }).due,
    ).toBe(false);
  });

  it('honours the shared backoff after failures, and only after failures', () => {
    const status = failing(3, START + 120_000);
    expect(decideIssuance({ existing: undefined, coveredElsewhere: false, status, now: START })).toEqual({
      due: false,
      at: START + 120_000,
      reason: 'backing off after a failure',
    });
    expect(
      decideIssuance({ existing: undefined, coveredElsewhere: false, status, now: START + 120_000 }).due,
    ).toBe(true);
    const recovered = { ...status, failures: 0 };
    expect(
      decideIssuance({ existing: undefined, coveredElsewhere: false, status: recovered, now: START }).due,
    ).toBe(true);
  });

  it('backs off 30 s, doubling, capped at an hour, with a little jitter', () => {
    const middle = () => 0.5;
    expect([1, 2, 3, 4].map((failures) => retryDelayMs(failures, middle))).toEqual([
      30_000, 60_000, 120_000, 240_000,
    ]);
    expect(retryDelayMs(40, middle)).toBe(RETRY_MAX_MS);
    expect(retryDelayMs(1, () => 0)).toBe(27_000);
    expect(retryDelayMs(1, () => 1)).toBe(33_000);
  });
});
