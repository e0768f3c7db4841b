export interface PassiveHealthOptions {
  /** Consecutive connection failures that eject a backend the first time. */
  readonly failureThreshold?: number;
  /** First ejection; each further ejection in a row doubles it up to `maxEjectionMs`. */
  readonly baseEjectionMs?: number;
  readonly maxEjectionMs?: number;
}

/**
 * Passive health of one backend (address:port), from the outcomes of real requests: enough
 * connection failures in a row (or one connect timeout) eject it for a while. Once ejected, it is on probation until a
 * response comes back: the first failure after the ejection ends ejects it again, for twice as
 * long (a host that vanished costs one slow request per ejection, not three). Whether an
 * ejection is honoured is the balancer's call (never more than half of a pool).
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

  /** Ejections since the last success. */
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

  /**
   * Records a failed connection; returns true when this failure ejected the backend.
   * `immediately` ejects without waiting for the streak: a connection that was not even
   * accepted within the connect timeout (a host that vanished; one lost SYN is retransmitted
   * well within it on any working network).
   */
  recordFailure(now: number, { immediately = false }: { readonly immediately?: boolean } = {}): boolean {
    this.#failures += 1;
    if (this.isEjected(now)) return false;
    if (this.#failures < this.#threshold && this.#ejections === 0 && !immediately) return false;
    const durationMs = Math.min(this.#maxMs, this.#baseMs * 2 ** this.#ejections);
    this.#ejections += 1;
    this.#ejectedUntil = now + durationMs;
    this.#failures = 0;
    return true;
  }

  /**
   * A response came back: the failure streak and the doubling start over. Returns true when the
   * backend had been ejected since its last success (it is back).
   */
  recordSuccess(): boolean {
    if (this.#failures === 0 && this.#ejections === 0) return false;
    const wasEjected = this.#ejections > 0;
    this.#failures = 0;
    this.#ejections = 0;
    this.#ejectedUntil = 0;
    return wasEjected;
  }
}
