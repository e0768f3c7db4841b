import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/** The built entry points (`npm run build` first): tests run the programs as operators do. */
export const PROGRAM_MAIN = {
  edge: fileURLToPath(new URL('../../packages/edge/dist/main.js', import.meta.url)),
  bridge: fileURLToPath(new URL('../../packages/bridge/dist/main.js', import.meta.url)),
  cli: fileURLToPath(new URL('../../packages/cli/dist/main.js', import.meta.url)),
} as const;

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ChildProgramOptions {
  readonly args?: readonly string[];
  /** The whole environment of the child (nothing is inherited unless passed). */
  readonly env: Readonly<Record<string, string>>;
  /** Called with each complete line the child writes, and which stream it came on. */
  readonly onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

// Children still running when the test process exits (a timed-out test skips its `finally`)
// are killed rather than left behind.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * One of wharf's programs (or any Node script) as a real child process, so signals and exit codes
 * are real: its output arrives line by line, `exited` says how it ended, `stop()` sends a signal
 * and waits, `kill()` is SIGKILL for cleanup. The edge, bridge and CLI test helpers build on it.
 */
export class ChildProgram {
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;

  constructor(main: string, options: ChildProgramOptions) {
    this.child = spawn(process.execPath, [main, ...(options.args ?? [])], {
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(this.child);
    this.exited = once(this.child, 'exit').then(([code, signal]) => {
      running.delete(this.child);
      return { code: code as number | null, signal: signal as NodeJS.Signals | null };
    });
    for (const stream of ['stdout', 'stderr'] as const) {
      let buffered = '';
      this.child[stream]?.setEncoding('utf8').on('data', (chunk: string) => {
        buffered += chunk;
        let newline = buffered.indexOf('\n');
        while (newline >= 0) {
          options.onLine?.(buffered.slice(0, newline), stream);
          buffered = buffered.slice(newline + 1);
          newline = buffered.indexOf('\n');
        }
      });
      this.child[stream]?.on('end', () => {
        if (buffered !== '') options.onLine?.(buffered, stream);
        buffered = '';
      });
    }
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends `signal` (SIGTERM by default) unless the child has exited; resolves with how it ended. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit> {
    if (this.running) this.child.kill(signal);
    return this.exited;
  }

  /** SIGKILL, for cleanup after failures; idempotent. */
  async kill(): Promise<Exit> {
    return this.stop('SIGKILL');
  }
}

/** The test runner's environment without anything that would change what a wharf program does. */
export function cleanEnv(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || /^(WHARF_|LOG_|NO_COLOR$|FORCE_COLOR$)/.test(name)) continue;
    env[name] = value;
  }
  return { ...env, ...extra };
}
