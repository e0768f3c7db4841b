import { describe, expect, it } from 'vitest';
import { PassiveHealth } from './passive-health.js';

describe('PassiveHealth', () => {
  it('ejects after three failures in a row, doubling each time, and forgives on success', () => {
    const health = new PassiveHealth({ failureThreshold: 3, baseEjectionMs: 10_000, maxEjectionMs: 25_000 });
    let now = 1_000;
    expect(health.recordFailure(now)).toBe(false);
    expect(health.recordFailure(now)).toBe(false);
    expect(health.recordFailure(now)).toBe(true);
    expect(health.isEjected(now + 9_999)).toBe(true);
    expect(health.isEjected(now + 10_000)).toBe(false);

    now += 10_000;
    health.recordFailure(now);
    health.recordFailure(now);
    expect(health.recordFailure(now)).toBe(true);
    expect(health.ejectedUntil).toBe(now + 20_000);

    now += 20_000;
    for (let i = 0; i < 3; i++) health.recordFailure(now);
    expect(health.ejectedUntil).toBe(now + 25_000);

    health.recordSuccess();
    expect(health.isEjected(now)).toBe(false);
    expect(health.ejections).toBe(0);
    for (let i = 0; i < 3; i++) health.recordFailure(now);
    expect(health.ejectedUntil).toBe(now + 10_000);
  });

  it('a success in between resets the streak', () => {
    const health = new PassiveHealth();
    health.recordFailure(0);
    health.recordFailure(0);
    health.recordSuccess();
    expect(health.recordFailure(0)).toBe(false);
    expect(health.consecutiveFailures).toBe(1);
  });
});
