import { describe, expect, it } from 'vitest';
import { firstAnsweringMember, NoAnsweringMemberError } from './first-answering-member.js';

/** Waits that only pass when the test advances the clock. */
function manualClock() {
  let now = 0;
  const timers: { at: number; resolve: () => void }[] = [];
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  return {
    now: () => now,
    wait: (ms: number, signal: AbortSignal) =>
      new Promise<void>((resolve) => {
        timers.push({ at: now + ms, resolve });
        signal.addEventListener('abort', () => resolve(), { once: true });
      }),
    /** Moves time forward, letting every wait that falls due resolve in order. */
    async advance(ms: number): Promise<void> {
      const target = now + ms;
      for (;;) {
        await settle();
        const due = timers.filter((timer) => timer.at <= target).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        timers.splice(timers.indexOf(due), 1);
        now = due.at;
        due.resolve();
      }
      now = target;
      await settle();
    },
  };
}

/** A member that never answers (cut off): its probe ends only when the search aborts it. */
const silent = (_member: string, signal: AbortSignal) =>
  new Promise<void>((_resolve, reject) => {
    signal.addEventListener('abort', () => reject(new Error('no answer')), { once: true });
  });

describe('firstAnsweringMember', () => {
  it('finds the member that gets its leader back within one retry, while the cut-off ones stay silent', async () => {
    const clock = manualClock();
    const asked: number[] = [];
    let settledAt: number | undefined;
    const search = firstAnsweringMember({
      members: ['h1', 'h2', 'h3'],
      probe: async (member, signal) => {
        if (member !== 'h3') return silent(member, signal);
        asked.push(clock.now());
        // h3 is on the cut side: no leader until the partition heals at 450 ms.
        if (clock.now() < 450) throw new Error('etcdserver: no leader');
      },
      deadlineMs: 1_000,
      retryMs: 200,
      wait: clock.wait,
    }).then((member) => {
      settledAt = clock.now();
      return member;
    });
    await clock.advance(1_000);
    expect(await search).toBe('h3');
    expect(asked).toEqual([0, 200, 400, 600]);
    expect(settledAt).toBe(600);
  });

  it('settles on the first member to answer and aborts the other probes', async () => {
    const clock = manualClock();
    const aborted: string[] = [];
    const search = firstAnsweringMember({
      members: ['slow', 'quick', 'silent'],
      probe: async (member, signal) => {
        signal.addEventListener('abort', () => aborted.push(member), { once: true });
        if (member === 'silent') return silent(member, signal);
        await clock.wait(member === 'quick' ? 50 : 300, signal);
        if (signal.aborted) throw new Error('aborted');
      },
      deadlineMs: 1_000,
      retryMs: 200,
      wait: clock.wait,
    });
    await clock.advance(60);
    expect(await search).toBe('quick');
    expect(aborted.sort()).toEqual(['quick', 'silent', 'slow']);
  });

  it('gives up at the deadline with each member’s last answer', async () => {
    const clock = manualClock();
    let failedAt: number | undefined;
    const search = firstAnsweringMember({
      members: ['h1', 'h3'],
      probe: async (member, signal) => {
        if (member === 'h1') return silent(member, signal);
        throw new Error('etcdserver: no leader');
      },
      deadlineMs: 1_000,
      retryMs: 200,
      wait: clock.wait,
    }).catch((error: unknown) => {
      failedAt = clock.now();
      return error;
    });
    await clock.advance(999);
    expect(failedAt).toBeUndefined();
    await clock.advance(1);
    const error = await search;
    expect(failedAt).toBe(1_000);
    expect(error).toBeInstanceOf(NoAnsweringMemberError);
    expect((error as Error).message).toBe('no etcd member could serve: no answer; etcdserver: no leader');
  });
});
