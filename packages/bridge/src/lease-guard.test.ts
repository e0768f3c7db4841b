import { EventEmitter } from 'node:events';
import { silentLogger } from '@wharf/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { guardLease } from './lease-guard.js';

class FakeLease extends EventEmitter {
  attempts = 0;
  answer: 'ok' | 'fail' = 'fail';
  keepaliveOnce() {
    this.attempts += 1;
    return this.answer === 'ok' ? Promise.resolve({}) : Promise.reject(new Error('deadline exceeded'));
  }
}

describe('guardLease', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const start = (lease: FakeLease) => guardLease(lease as never, 9, silentLogger);

  it('leaves a lease alone while its keep-alives succeed', async () => {
    const lease = new FakeLease();
    const stop = start(lease);
    for (let second = 0; second < 30; second += 1) {
      lease.emit('keepaliveSucceeded', {});
      await vi.advanceTimersByTimeAsync(1_000);
    }
    expect(lease.attempts).toBe(0);
    stop();
  });

  it('renews through another member after a silent round, and keeps trying until one answers', async () => {
    const lease = new FakeLease();
    const stop = start(lease);
    // TTL 9 s: rounds of 3 s; a renewal is due after 4.5 s without one, checked every 1.5 s.
    await vi.advanceTimersByTimeAsync(4_400);
    expect(lease.attempts).toBe(0);
    await vi.advanceTimersByTimeAsync(200);
    expect(lease.attempts).toBe(1);
    await vi.advanceTimersByTimeAsync(1_500);
    expect(lease.attempts).toBe(2);
    lease.answer = 'ok';
    await vi.advanceTimersByTimeAsync(1_500);
    expect(lease.attempts).toBe(3);
    // Renewed: quiet again until another silent round and a half.
    await vi.advanceTimersByTimeAsync(3_000);
    expect(lease.attempts).toBe(3);
    stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(lease.attempts).toBe(3);
    expect(lease.listenerCount('keepaliveSucceeded')).toBe(0);
  });
});
