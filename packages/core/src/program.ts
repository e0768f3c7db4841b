import { constants } from 'node:os';
import { ConfigError } from './errors.js';

export interface ExitCodes {
  /** The configuration did not validate (one line on stderr names the variable). */
  readonly config: number;
  /** The program failed while running. */
  readonly failure: number;
}

/** What a program needs of its process; tests pass a stand-in. */
export interface ProgramProcess {
  once(event: 'SIGTERM' | 'SIGINT', listener: (signal: 'SIGTERM' | 'SIGINT') => void): unknown;
  off(event: 'SIGTERM' | 'SIGINT', listener: (signal: 'SIGTERM' | 'SIGINT') => void): unknown;
  exit(code: number): never;
  readonly stderr: { write(text: string): unknown };
  exitCode?: number | string | null | undefined;
}

export interface ProgramOptions<Config> {
  /** The program's name; it starts every line the shell writes to stderr (`wharf-bridge: …`). */
  readonly name: string;
  /** Reads and validates the configuration, once, before anything starts. */
  readonly config: () => Config;
  /**
   * Builds the parts and runs them until `signal` aborts (its `reason` is the signal's name),
   * resolving after their cleanup — with an exit code, or with anything else for 0.
   */
  readonly main: (config: Config, signal: AbortSignal) => Promise<unknown>;
  /** Reports a failure of `main` and says its exit code; default: one line on stderr, `exitCodes.failure`. */
  readonly onFailure?: (error: unknown, exitCodes: ExitCodes) => number;
  readonly exitCodes?: Partial<ExitCodes>;
  readonly process?: ProgramProcess;
}

const DEFAULT_EXIT_CODES: ExitCodes = { config: 2, failure: 1 };
const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * The shell of every wharf program's `main.ts`: configuration → parts → signals → await.
 *
 * - A `ConfigError` from `config()` is one line on stderr and exit code `config` (2 by default);
 *   nothing has started yet.
 * - SIGTERM or SIGINT aborts `main`'s signal once; the parts stop and clean up (a bridge revokes
 *   its lease, an edge drains) and the program exits with what `main` returned. A second signal
 *   while that is under way exits at once, with 128 + the signal's number, as a shell would.
 * - A failure of `main` is reported by `onFailure` and exits with `failure` (1 by default).
 *
 * It sets `process.exitCode` and lets the event loop end rather than calling `process.exit`,
 * so logs are flushed; resolves to the exit code.
 */
export async function runProgram<Config>(options: ProgramOptions<Config>): Promise<number> {
  const target = options.process ?? process;
  const exitCodes = { ...DEFAULT_EXIT_CODES, ...options.exitCodes };
  const finish = (code: number) => {
    target.exitCode = code;
    return code;
  };

  let config: Config;
  try {
    config = options.config();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    target.stderr.write(`${options.name}: ${error.message}\n`);
    return finish(exitCodes.config);
  }

  const controller = new AbortController();
  const onSignal = (signal: (typeof SIGNALS)[number]) => {
    if (controller.signal.aborted) {
      target.exit(128 + (constants.signals[signal] ?? 15));
    }
    controller.abort(signal);
    // Listen again: the next one forces the exit.
    target.once(signal, onSignal);
  };
  for (const signal of SIGNALS) target.once(signal, onSignal);
  try {
    const result = await options.main(config, controller.signal);
    return finish(typeof result === 'number' ? result : 0);
  } catch (error) {
    const report =
      options.onFailure ??
      ((failure: unknown, codes: ExitCodes) => {
        target.stderr.write(
          `${options.name}: ${failure instanceof Error ? failure.message : String(failure)}\n`,
        );
        return codes.failure;
      });
    return finish(report(error, exitCodes));
  } finally {
    for (const signal of SIGNALS) target.off(signal, onSignal);
  }
}
