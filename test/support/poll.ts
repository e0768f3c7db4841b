import { setTimeout as sleep } from 'node:timers/promises';

export interface PollOptions {
  /** Give up after this long (default 10 s) and rethrow the check's last error. */
  readonly timeoutMs?: number;
  /** Pause between two checks (default 25 ms). */
  readonly intervalMs?: number;
}

/**
 * Calls `check` until it returns without throwing and resolves with what it returned. For code
 * that also runs outside vitest (the simulated hosts behind `./run.sh up --hosts N`), where
 * `vi.waitFor`, and so `eventually`, cannot run. Each check must bound its own waits.
 */
export async function poll<T>(check: () => T | Promise<T>, options: PollOptions = {}): Promise<T> {
  const { timeoutMs = 10_000, intervalMs = 25 } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() + intervalMs > deadline) throw error;
    }
    await sleep(intervalMs);
  }
}
