import { setTimeout as sleep } from 'node:timers/promises';

export interface FirstAnsweringMemberOptions<M> {
  readonly members: readonly M[];
  /**
   * Asks one member whether it can serve now; resolves when it can, rejects when it cannot. It
   * must give up when `signal` aborts (the search is over, won or timed out).
   */
  readonly probe: (member: M, signal: AbortSignal) => Promise<void>;
  /** How long to look before giving up, in ms. */
  readonly deadlineMs: number;
  /**
   * Pause before asking again a member that said no (a member without a leader answers at once,
   * and gets one back within a heartbeat of a partition healing), in ms.
   */
  readonly retryMs: number;
  /** Waits `ms` or until `signal` aborts; injectable so that tests need no real time. */
  readonly wait?: (ms: number, signal: AbortSignal) => Promise<void>;
}

const realWait = (ms: number, signal: AbortSignal) => sleep(ms, undefined, { signal }).catch(() => {});

/** No member could serve within the deadline; `reasons` holds each member's last answer. */
export class NoAnsweringMemberError extends Error {
  readonly reasons: readonly unknown[];

  constructor(reasons: readonly unknown[]) {
    const detail = reasons.map((reason) => (reason instanceof Error ? reason.message : String(reason)));
    super(`no etcd member could serve: ${detail.join('; ')}`);
    this.reasons = reasons;
  }
}

/**
 * Asks every member at once and settles on the first that can serve. A member that stops
 * answering (cut off, frozen) costs nothing but the deadline; one that answers "no" at once (no
 * leader, connection refused) is asked again every `retryMs` — so when a partition heals, the
 * member on this side of it is found within about `retryMs` of getting its leader back, instead
 * of after a call's whole deadline spent waiting on a member that cannot answer.
 */
export async function firstAnsweringMember<M>(options: FirstAnsweringMemberOptions<M>): Promise<M> {
  const { members, probe, deadlineMs, retryMs } = options;
  const wait = options.wait ?? realWait;
  const search = new AbortController();
  const reasons: unknown[] = members.map(() => new Error('not asked'));
  const ask = async (member: M, index: number): Promise<M> => {
    for (;;) {
      try {
        await probe(member, search.signal);
        return member;
      } catch (error) {
        reasons[index] = error;
      }
      if (search.signal.aborted) throw reasons[index];
      await wait(retryMs, search.signal);
      if (search.signal.aborted) throw reasons[index];
    }
  };
  void wait(deadlineMs, search.signal).then(() => search.abort());
  try {
    return await Promise.any(members.map(ask));
  } catch {
    throw new NoAnsweringMemberError(reasons);
  } finally {
    search.abort();
  }
}
