/**
 * Holds requests that reach a freshly started edge before its first full sync: answered from
 * the empty table they would all be 404s for hosts that exist. Opened once, never closed again.
 */
export class StartupGate {
  #open: boolean;
  #waiters: ((open: boolean) => void)[] = [];

  constructor(open = false) {
    this.#open = open;
  }

  get isOpen(): boolean {
    return this.#open;
  }

  open(): void {
    if (this.#open) return;
    this.#open = true;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter(true);
  }

  /** Resolves true once open, or false when `timeoutMs` passes first. */
  wait(timeoutMs: number): Promise<boolean> {
    if (this.#open) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      let settled = false;
      const settle = (open: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(open);
      };
      const timer = setTimeout(() => {
        const index = this.#waiters.indexOf(settle);
        if (index >= 0) this.#waiters.splice(index, 1);
        settle(false);
      }, timeoutMs);
      // A request waiting for the first sync must not keep a shutting-down process alive.
      timer.unref();
      this.#waiters.push(settle);
    });
  }
}
