export interface BackoffOptions {
  /** First delay, in ms. */
  readonly initialMs?: number;
  /** Cap, in ms. */
  readonly maxMs?: number;
  readonly factor?: number;
  /** Source of randomness in [0, 1); injectable for tests. */
  readonly random?: () => number;
}

/**
 * Capped exponential backoff with "equal jitter": each delay is half the exponential step plus a
 * random share of the other half, so retries from many agents spread out but never collapse to
 * zero. `reset()` after a success.
 */
export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #factor: number;
  readonly #random: () => number;
  #attempt = 0;

  constructor({ initialMs = 200, maxMs = 10_000, factor = 2, random = Math.random }: BackoffOptions = {}) {
    if (initialMs <= 0 || maxMs < initialMs || factor < 1) throw new RangeError('invalid backoff options');
    this.#initialMs = initialMs;
    this.#maxMs = maxMs;
    this.#factor = factor;
    this.#random = random;
  }

  /** How many delays were handed out since the last reset. */
  get attempt(): number {
    return this.#attempt;
  }

  next(): number {
    const step = Math.min(this.#maxMs, this.#initialMs * this.#factor ** this.#attempt);
    this.#attempt += 1;
    return Math.round(step / 2 + (step / 2) * this.#random());
  }

  reset(): void {
    this.#attempt = 0;
  }
}
