import { Waiters } from './waiters.js';

/**
 * Holds requests that reach a freshly started edge before its first full sync: answered from
 * the empty table they would all be 404s for hosts that exist. Opened once, never closed again.
 */
export class StartupGate {
  #open: boolean;
  readonly #waiters = new Waiters();

  constructor(open = false) {
    this.#open = open;
  }

  get isOpen(): boolean {
    return this.#open;
  }

  open(): void {
    if (this.#open) return;
    this.#open = true;
    this.#waiters.wake();
  }

  /** Resolves true once open, or false when `timeoutMs` passes first. */
  wait(timeoutMs: number): Promise<boolean> {
    if (this.#open) return Promise.resolve(true);
    return this.#waiters.wait(timeoutMs);
  }
}
