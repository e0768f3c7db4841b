import { type EtcdStore, silentLogger } from '@wharf/core';
import { describe, expect, it } from 'vitest';
import { LeaseKeeper } from './lease-keeper.js';

/** A store whose keep-alives answer as `answer` says, on a clock that only waits advance. */
function rig(answer: (attempt: number) => number | Error) {
  let clock = 0;
  const attempts: { at: number; timeoutMs: number | undefined }[] = [];
  const store = {
    keepAliveLease: async (_id: string, call?: { timeoutMs?: number }) => {
      attempts.push({ at: clock, timeoutMs: call?.timeoutMs });
      const result = answer(attempts.length);
      if (result instanceof Error) throw result;
      return result;
    },
  } as unknown as EtcdStore;
  const keeper = new LeaseKeeper({
    store,
    leaseId: '42',
    ttlSeconds: 9,
    logger: silentLogger,
    now: () => clock,
    wait: async (ms) => {
      clock += ms;
    },
  });
  return { keeper, attempts };
}

describe('LeaseKeeper', () => {
  it('renews every TTL/3, each call with a deadline of half a round', async () => {
    const controller = new AbortController();
    const { keeper, attempts } = rig((attempt) => {
      if (attempt === 4) controller.abort();
      return 9;
    });
    await keeper.run(controller.signal);
    expect(attempts).toEqual([
      { at: 3_000, timeoutMs: 1_500 },
      { at: 6_000, timeoutMs: 1_500 },
      { at: 9_000, timeoutMs: 1_500 },
      { at: 12_000, timeoutMs: 1_500 },
    ]);
  });

  it('tries again a sixth of a round after a silent member, and carries on when one answers', async () => {
    const controller = new AbortController();
    const { keeper, attempts } = rig((attempt) => {
      if (attempt === 5) controller.abort();
      return attempt === 2 || attempt === 3 ? new Error('deadline exceeded') : 9;
    });
    await keeper.run(controller.signal);
    expect(attempts.map((attempt) => attempt.at)).toEqual([3_000, 6_000, 6_500, 7_000, 10_000]);
  });

  it('reports the loss once when etcd no longer knows the lease', async () => {
    const { keeper, attempts } = rig((attempt) => (attempt === 2 ? 0 : 9));
    await expect(keeper.run(new AbortController().signal)).rejects.toMatchObject({
      code: 'WHARF_LEASE_LOST',
      leaseId: '42',
    });
    expect(attempts).toHaveLength(2);
  });

  it('gives the lease up after 2 × TTL without a successful keep-alive', async () => {
    const { keeper, attempts } = rig(() => new Error('unreachable'));
    await expect(keeper.run(new AbortController().signal)).rejects.toMatchObject({
      code: 'WHARF_LEASE_LOST',
      message: expect.stringContaining('18 s'),
    });
    expect(attempts.at(-1)?.at).toBeGreaterThanOrEqual(18_000);
    expect(attempts.at(-1)?.at).toBeLessThan(18_500);
  });
});
