export interface PassiveHealthOptions {
  /** Consecutive connection failures that eject a backend. */
  readonly failureThreshold?: number;
  /** First ejection; each further ejection in a row doubles it up to `maxEjectionMs`. */
  readonly baseEjectionMs?: number;
  readonly maxEjectionMs?: number;
}

/**
 * Passive health of one backend (address:port), from the outcomes of real requests: enough
 * connection failures in a row eject it for a while, doubling with each ejection that follows
 * without a success in between. Whether an ejection is honoured is the balancer's call (never
 * more than half of a pool).
 */
export class PassiveHealth {
  readonly #threshold: number;
  readonly #baseMs: number;
  readonly #maxMs: number;
  #failures = 0;
  #ejections = 0;
  #ejectedUntil = 0;

  constructor({
    failureThreshold = 3,
    baseEjectionMs = 10_000,
    maxEjectionMs = 300_000,
  }: PassiveHealthOptions = {}) {
    this.#threshold = failureThreshold;
    this.#baseMs = baseEjectionMs;
    this.#maxMs = maxEjectionMs;
  }

  get consecutiveFailures(): number {
    return this.#failures;
  }

  get ejections(): number {
    return this.#ejections;
  }

  /** Epoch milliseconds until which the backend is ejected (0 when never). */
  get ejectedUntil(): number {
    return this.#ejectedUntil;
  }

  isEjected(now: number): boolean {
    return this.#ejectedUntil > now;
  }

  /** Records a failed connection; returns true when this failure ejected the backend. */
  recordFailure(now: number): boolean {
    this.#failures += 1;
    if (this.#failures < this.#threshold || this.isEjected(now)) return false;
    const durationMs = Math.min(this.#maxMs, this.#baseMs * 2 ** this.#ejections);
    this.#ejections += 1;
    this.#ejectedUntil = now + durationMs;
    this.#failures = 0;
    return true;
  }

  /** A connection succeeded: the failure streak and the doubling start over. */
  recordSuccess(): void {
    if (this.#failures === 0 && this.#ejections === 0) return;
    this.#failures = 0;
    this.#ejections = 0;
    this.#ejectedUntil = 0;
  }
}
