/**
 * Callers waiting for something to happen, each for at most its own time. The edge holds a few
 * requests this way (before the first sync, on a held route), so a waiter is a timer and an
 * entry in a set, never a poll. Timers are unref'd: a waiting request must not keep a
 * shutting-down process alive.
 */
export class Waiters {
  readonly #waiting = new Set<(woken: boolean) => void>();

  get size(): number {
    return this.#waiting.size;
  }

  /** Resolves true at the next `wake()`, or false when `timeoutMs` passes first. */
  wait(timeoutMs: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const settle = (woken: boolean) => {
        clearTimeout(timer);
        this.#waiting.delete(settle);
        resolve(woken);
      };
      const timer = setTimeout(settle, Math.max(0, timeoutMs), false);
      timer.unref();
      this.#waiting.add(settle);
    });
  }

  /** Wakes everyone waiting now (later callers wait for the next wake). */
  wake(): void {
    if (this.#waiting.size === 0) return;
    const waiting = [...this.#waiting];
    this.#waiting.clear();
    for (const settle of waiting) settle(true);
  }
}
