import { setTimeout as sleep } from 'node:timers/promises';
import { Backoff, type BackoffOptions } from './backoff.js';
import type { Logger } from './logger.js';

/** What a supervised task gets for one run. */
export interface SupervisedRun {
  /** The supervisor's signal: when it aborts, the task ends (resolves) after its cleanup. */
  readonly signal: AbortSignal;
  /**
   * Call once the task is up (connected and in sync): the next failure backs off from the first
   * delay again rather than from where the last outage left off.
   */
  readonly healthy: () => void;
  /** 1 for the first run, then one more for each restart. */
  readonly attempt: number;
}

export interface SupervisorOptions<T> {
  /**
   * One whole sequence — connect → sync → watch. A rejection starts it over after a backoff; a
   * result ends supervision with that result (a task that runs until aborted never returns one).
   */
  readonly task: (run: SupervisedRun) => Promise<T>;
  readonly logger: Logger;
  /**
   * The warning logged before each restart, with `{ err, code, delayMs, attempt }`: a stable phrase
   * such as "docker event stream interrupted; reconnecting", or one chosen by the error.
   */
  readonly message: string | ((error: unknown) => string);
  /** Capped, jittered delays between runs (default 200 ms up to 10 s). */
  readonly backoff?: Backoff | BackoffOptions;
  /** Failures no retry can fix (a configuration the task found wrong): `run` rejects with them. */
  readonly isFatal?: (error: unknown) => boolean;
  /** Sees each failure first (counters, state), before it is logged and waited out. */
  readonly onFailure?: (error: unknown) => void;
  /** Waits `ms` or until `signal` aborts; injectable so that tests need no real time. */
  readonly wait?: (ms: number, signal: AbortSignal) => Promise<void>;
}

const realWait = (ms: number, signal: AbortSignal) => sleep(ms, undefined, { signal }).catch(() => {});

/**
 * The one retry loop of wharf: runs a task, and whenever it fails runs it again from the start
 * after a capped, jittered backoff that resets once a run reports itself healthy. Any stream
 * error therefore starts over from a fresh connect and sync, never from half a state.
 * `run(signal)` resolves with the task's result, or `undefined` once `signal` aborted and the
 * running task finished its cleanup.
 */
export class Supervisor<T = void> {
  readonly #options: SupervisorOptions<T>;
  readonly #backoff: Backoff;
  readonly #wait: (ms: number, signal: AbortSignal) => Promise<void>;
  #restarts = 0;

  constructor(options: SupervisorOptions<T>) {
    this.#options = options;
    this.#backoff =
      options.backoff instanceof Backoff
        ? options.backoff
        : new Backoff({ initialMs: 200, maxMs: 10_000, ...options.backoff });
    this.#wait = options.wait ?? realWait;
  }

  /** How many times the task failed and was started over. */
  get restarts(): number {
    return this.#restarts;
  }

  async run(signal: AbortSignal): Promise<T | undefined> {
    const { task, logger, message, isFatal, onFailure } = this.#options;
    let attempt = 0;
    while (!signal.aborted) {
      attempt += 1;
      try {
        const result = await task({ signal, healthy: () => this.#backoff.reset(), attempt });
        return signal.aborted ? undefined : result;
      } catch (error) {
        if (signal.aborted) break;
        if (isFatal?.(error)) throw error;
        this.#restarts += 1;
        onFailure?.(error);
        const delayMs = this.#backoff.next();
        const code = (error as { code?: unknown })?.code ?? (error as Error)?.name;
        logger.warn(
          { err: error, code, delayMs, attempt: this.#backoff.attempt },
          typeof message === 'function' ? message(error) : message,
        );
        await this.#wait(delayMs, signal);
      }
    }
    return undefined;
  }
}
