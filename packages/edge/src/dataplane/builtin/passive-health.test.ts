import { describe, expect, it } from 'vitest';
import { PassiveHealth } from './passive-health.js';

describe('PassiveHealth', () => {
  it('ejects after three failures in a row, then again at the first failure after each ejection, doubling', () => {
    const health = new PassiveHealth({ failureThreshold: 3, baseEjectionMs: 10_000, maxEjectionMs: 25_000 });
    let now = 1_000;
    expect(health.recordFailure(now)).toBe(false);
    expect(health.recordFailure(now)).toBe(false);
    expect(health.recordFailure(now)).toBe(true);
    expect(health.isEjected(now + 9_999)).toBe(true);
    expect(health.isEjected(now + 10_000)).toBe(false);
    // Failures of requests already in flight while ejected do not extend the ejection.
    expect(health.recordFailure(now + 5_000)).toBe(false);
    expect(health.ejectedUntil).toBe(now + 10_000);

    now += 10_000;
    expect(health.recordFailure(now)).toBe(true);
    expect(health.ejectedUntil).toBe(now + 20_000);

    now += 20_000;
    expect(health.recordFailure(now)).toBe(true);
    expect(health.ejectedUntil).toBe(now + 25_000);
    expect(health.ejections).toBe(3);
  });

  it('a response ends the probation: the next streak needs three failures again', () => {
    const health = new PassiveHealth({ failureThreshold: 3, baseEjectionMs: 10_000 });
    for (let i = 0; i < 3; i++) health.recordFailure(0);
    expect(health.isEjected(0)).toBe(true);
    expect(health.recordSuccess()).toBe(true);
    expect(health.isEjected(0)).toBe(false);
    expect(health.ejections).toBe(0);
    expect(health.recordSuccess()).toBe(false);
    expect(health.recordFailure(0)).toBe(false);
    expect(health.recordFailure(0)).toBe(false);
    expect(health.recordFailure(0)).toBe(true);
    expect(health.ejectedUntil).toBe(10_000);
  });

  it('a connect timeout ejects at once', () => {
    const health = new PassiveHealth({ failureThreshold: 3, baseEjectionMs: 10_000 });
    expect(health.recordFailure(0, { immediately: true })).toBe(true);
    expect(health.ejectedUntil).toBe(10_000);
  });

  it('a success in between resets the streak', () => {
    const health = new PassiveHealth();
    health.recordFailure(0);
    health.recordFailure(0);
    expect(health.recordSuccess()).toBe(false);
    expect(health.recordFailure(0)).toBe(false);
    expect(health.consecutiveFailures).toBe(1);
  });
});
