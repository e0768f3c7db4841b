import { afterEach, describe, expect, it, vi } from 'vitest';
import { HostChanges } from './host-changes.js';

describe('HostChanges', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('wakes only the requests waiting on a host the table changed', async () => {
    const changes = new HostChanges();
    const api = changes.wait('api.test', 60_000);
    const web = changes.wait('web.test', 60_000);
    expect(changes.size).toBe(2);
    changes.changed(['api.test', 'other.test']);
    await expect(api).resolves.toBe(true);
    expect(changes.size).toBe(1);
    changes.changed(['web.test']);
    await expect(web).resolves.toBe(true);
    expect(changes.size).toBe(0);
  });

  it('gives up after the bound and forgets the waiter', async () => {
    vi.useFakeTimers();
    const changes = new HostChanges();
    const waiting = changes.wait('api.test', 2_000);
    vi.advanceTimersByTime(1_999);
    expect(changes.size).toBe(1);
    vi.advanceTimersByTime(1);
    await expect(waiting).resolves.toBe(false);
    expect(changes.size).toBe(0);
  });
});
