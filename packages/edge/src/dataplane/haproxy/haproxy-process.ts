import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { Backoff, type Logger, silentLogger, whenAborted } from '@wharf/core';
import type { HaproxyBinary } from './haproxy-binary.js';
import { RUNTIME_FILES } from './haproxy-config.js';
import { HaproxyReloadError, HaproxyStartError } from './haproxy-errors.js';
import { RuntimeApi } from './runtime-api.js';

export interface HaproxyProcessOptions {
  readonly binary: HaproxyBinary;
  /** Holds `haproxy.cfg`, the maps and the sockets. */
  readonly directory: string;
  /** Writes the current configuration and maps; called before every start and restart. */
  readonly prepare: () => Promise<void>;
  /** After a restart from the files (a crash): HAProxy's live state is now exactly the files. */
  readonly onRestart?: () => void;
  /** Each line the workers print on stdout (the access log). */
  readonly onStdoutLine?: (line: string) => void;
  /** Each line HAProxy prints on stderr (its warnings), after it was logged. */
  readonly onStderrLine?: (line: string) => void;
  /** How long in-flight requests may take after the stop signal before the workers are killed. */
  readonly stopGraceMs: number;
  readonly logger?: Logger;
  /** How long a start or a reload may take. */
  readonly startTimeoutMs?: number;
}

/** HAProxy's warnings about what the edge itself does (adds, drains, reloads, stops). */
const ROUTINE =
  /leaving forced maintenance|entering forced maintenance|is (UP|going DOWN)|Proxy .* stopped|Stopping |Former worker|Current worker \(\d+\) exited with code 0|Exiting Master|All workers exited|Reexecuting|drain|DRAIN|MAINT/;

/** A line of the master CLI's `show proc`. */
interface ProcessLine {
  readonly pid: number;
  readonly reloads: number;
  readonly failed: number;
}

interface ProcessTable {
  readonly master: ProcessLine | undefined;
  /** The worker started by the latest (re)load: the one with 0 reloads. */
  readonly worker: ProcessLine | undefined;
}

/**
 * Supervises `haproxy -W` (master-worker): starts it from the rendered files, reloads it
 * hitlessly through the master CLI (`reload`: a new worker takes over the listening sockets,
 * the old one finishes its requests), restarts it from the current files when it dies, and on
 * stop lets in-flight requests finish (SIGUSR1, a soft stop) before it kills what is left.
 * HAProxy is started under `setpriv --pdeathsig KILL` where available, so it never outlives a
 * killed edge (it would hold the port).
 */
export class HaproxyProcess {
  /** The current worker's Runtime API. */
  readonly api: RuntimeApi;
  /** The master CLI. */
  readonly master: RuntimeApi;
  readonly #options: HaproxyProcessOptions;
  readonly #logger: Logger;
  readonly #startTimeoutMs: number;
  #child: ChildProcess | undefined;
  #stderr: string[] = [];
  #reloads = 0;
  #restarts = 0;
  #started: { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void };

  constructor(options: HaproxyProcessOptions) {
    this.#options = options;
    this.#logger = (options.logger ?? silentLogger).child({ component: 'haproxy' });
    this.#startTimeoutMs = options.startTimeoutMs ?? 15_000;
    this.api = new RuntimeApi({ path: join(options.directory, RUNTIME_FILES.api) });
    this.master = new RuntimeApi({ path: join(options.directory, RUNTIME_FILES.master) });
    let resolve!: () => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<void>((onResolve, onReject) => {
      resolve = onResolve;
      reject = onReject;
    });
    promise.catch(() => {});
    this.#started = { promise, resolve, reject };
  }

  /** Resolves once the first worker answers; rejects if HAProxy could not start. */
  get started(): Promise<void> {
    return this.#started.promise;
  }

  /** Reloads done since start (structural changes). */
  get reloads(): number {
    return this.#reloads;
  }

  /** Restarts after HAProxy died. */
  get restarts(): number {
    return this.#restarts;
  }

  /** The master's pid while it runs. */
  get pid(): number | undefined {
    return this.#child?.exitCode === null ? this.#child.pid : undefined;
  }

  /**
   * Runs HAProxy until `signal` aborts, restarting it (with backoff) when it dies; resolves
   * after the graceful stop. Rejects when the first start fails (bad configuration, a port in
   * use), with HAProxy's own words.
   */
  async run(signal: AbortSignal): Promise<void> {
    const backoff = new Backoff({ initialMs: 100, maxMs: 5_000 });
    let first = true;
    while (!signal.aborted) {
      await this.#options.prepare();
      const child = this.#spawn();
      const exited = once(child, 'exit').then(([code, signalName]) => ({
        code: code as number | null,
        signalName: signalName as string | null,
      }));
      try {
        await this.#waitStarted(child, exited, signal);
      } catch (error) {
        if (signal.aborted && child.exitCode === null) {
          // Stopped while starting: it may already serve (the worker answers before the edge
          // sees it), so it stops as gracefully as a running one.
          await this.#stop(child, exited);
          this.#started.reject(error as Error);
          return;
        }
        child.kill('SIGKILL');
        await exited;
        if (first) {
          this.#started.reject(error as Error);
          throw error;
        }
        this.#logger.error({ err: error }, 'haproxy restart failed');
        await sleep(backoff.next(), undefined, { signal }).catch(() => {});
        continue;
      }
      if (first) this.#started.resolve();
      else {
        this.#restarts += 1;
        this.#options.onRestart?.();
      }
      first = false;
      backoff.reset();
      const stopping = new Promise<'stop'>((resolve) => whenAborted(signal, () => resolve('stop')));
      const outcome = await Promise.race([exited, stopping]);
      if (outcome === 'stop') {
        await this.#stop(child, exited);
        return;
      }
      this.#logger.error(
        { code: outcome.code, signal: outcome.signalName, stderr: this.#stderr.slice(-5) },
        'haproxy exited unexpectedly; restarting it from the current files',
      );
      await sleep(backoff.next(), undefined, { signal }).catch(() => {});
    }
  }

  /**
   * Hitless reload into the files as they are now: the master re-executes itself, a new worker
   * takes over the listening sockets, the old one stops accepting and finishes its requests.
   * Resolves once the new worker answers on the Runtime API.
   */
  async reload(): Promise<void> {
    const before = await this.#processes();
    if (before.master === undefined) throw new HaproxyReloadError('haproxy is not running');
    const started = performance.now();
    await this.master.run('reload').catch(() => {
      // The master closes the CLI connection as it re-executes itself.
    });
    const deadline = Date.now() + this.#startTimeoutMs;
    for (;;) {
      const now = await this.#processes().catch(() => undefined);
      const master = now?.master;
      if (master && master.failed > before.master.failed) {
        throw new HaproxyReloadError(
          `haproxy refused the new configuration: ${this.#stderr.slice(-5).join(' | ')}`,
        );
      }
      if (
        master &&
        master.reloads > before.master.reloads &&
        now?.worker &&
        now.worker.pid !== before.worker?.pid
      ) {
        if (await this.#workerAnswers(now.worker.pid)) break;
      }
      if (Date.now() > deadline)
        throw new HaproxyReloadError(`no new worker within ${this.#startTimeoutMs} ms`);
      await sleep(10);
    }
    this.#reloads += 1;
    this.#logger.info(
      { reloads: this.#reloads, ms: Math.round(performance.now() - started) },
      'haproxy reloaded',
    );
  }

  #spawn(): ChildProcess {
    const { binary, directory } = this.#options;
    const args = [
      '-W',
      '-S',
      `${join(directory, RUNTIME_FILES.master)},mode,600`,
      '-f',
      join(directory, RUNTIME_FILES.config),
    ];
    const child = binary.parentDeathSignal
      ? spawn('setpriv', ['--pdeathsig', 'KILL', binary.path, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(binary.path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    this.#stderr = [];
    child.on('error', (error) => this.#logger.error({ err: error }, 'haproxy could not be started'));
    createInterface({ input: child.stdout! }).on('line', (line) => this.#options.onStdoutLine?.(line));
    createInterface({ input: child.stderr! }).on('line', (line) => {
      this.#stderr.push(line);
      if (this.#stderr.length > 50) this.#stderr.shift();
      const level = /\[(ALERT|EMERG)\]/.test(line)
        ? 'error'
        : /\[WARNING\]/.test(line) && !ROUTINE.test(line)
          ? 'warn'
          : 'debug';
      this.#logger[level]({ line }, 'haproxy says');
      this.#options.onStderrLine?.(line);
    });
    return child;
  }

  async #waitStarted(
    child: ChildProcess,
    exited: Promise<{ code: number | null; signalName: string | null }>,
    signal: AbortSignal,
  ): Promise<void> {
    let gone: { code: number | null } | undefined;
    void exited.then((result) => {
      gone = result;
    });
    const deadline = Date.now() + this.#startTimeoutMs;
    for (;;) {
      if (gone) {
        // Let the last stderr lines arrive: they say why (a port in use, a refused line).
        await sleep(50);
        throw new HaproxyStartError(
          `haproxy exited while starting (code ${gone.code}): ${this.#stderr.filter((line) => /ALERT|EMERG/.test(line)).join(' | ') || this.#stderr.slice(-5).join(' | ')}`,
        );
      }
      if (signal.aborted) throw new HaproxyStartError('stopped while starting');
      // The worker's Runtime API answers as soon as it runs; the master CLI comes up later and
      // is needed only for reloads.
      if (await this.#workerAnswers()) return;
      if (Date.now() > deadline) {
        throw new HaproxyStartError(
          `haproxy (pid ${child.pid}) did not answer within ${this.#startTimeoutMs} ms`,
        );
      }
      await sleep(10);
    }
  }

  /** True when the worker's Runtime API answers (as worker `pid`, when given). */
  async #workerAnswers(pid?: number): Promise<boolean> {
    try {
      const info = await this.api.run('show info');
      const answering = Number(/^Pid: (\d+)$/m.exec(info)?.[1]);
      return pid === undefined ? answering > 0 : answering === pid;
    } catch {
      return false;
    }
  }

  async #processes(): Promise<ProcessTable> {
    const output = await this.master.run('show proc');
    return parseShowProc(output);
  }

  async #stop(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    let gone = false;
    void exited.then(() => {
      gone = true;
    });
    // SIGUSR1: soft stop. Workers close their listeners at once, finish what is in flight
    // (keep-alive connections close after their current response) and exit; then the master.
    // A master still initialising ignores the signal, and a second one would kill workers that
    // already stop: it is sent once, as soon as the master CLI answers (its signal handling is
    // set up by then).
    const deadline = Date.now() + this.#options.stopGraceMs;
    while (
      !gone &&
      Date.now() < deadline &&
      !(await this.#processes().then(
        () => true,
        () => false,
      ))
    ) {
      await sleep(20);
    }
    // Waits for the exit or `ms`, whichever comes first, leaving no timer behind.
    const exitOr = async (ms: number) => {
      const timer = new AbortController();
      await Promise.race([exited, sleep(ms, undefined, { signal: timer.signal }).catch(() => {})]);
      timer.abort();
    };
    if (!gone) child.kill('SIGUSR1');
    await exitOr(Math.max(1, deadline - Date.now()));
    if (gone) return;
    this.#logger.warn(
      { graceMs: this.#options.stopGraceMs },
      'haproxy still busy after the grace period; stopping it',
    );
    child.kill('SIGTERM');
    await exitOr(2_000);
    if (!gone) {
      child.kill('SIGKILL');
      await exited;
    }
  }
}

/** Parses the master CLI's `show proc`. */
export function parseShowProc(output: string): ProcessTable {
  let master: ProcessLine | undefined;
  let worker: ProcessLine | undefined;
  for (const line of output.split('\n')) {
    const match = /^(\d+)\s+(master|worker)\s+(\d+)(?:\s+\[failed:\s*(\d+)\])?/.exec(line);
    if (!match) continue;
    const entry = { pid: Number(match[1]), reloads: Number(match[3]), failed: Number(match[4] ?? 0) };
    if (match[2] === 'master') master = entry;
    else if (entry.reloads === 0 && worker === undefined) worker = entry;
  }
  return { master, worker };
}
