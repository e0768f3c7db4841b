import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../../packages/bridge/dist/main.js', import.meta.url));

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/**
 * wharf-bridge as a real child process (built dist/main.js), so SIGTERM and SIGKILL are real.
 * Collects its JSON log lines (stderr) and anything else it prints.
 */
export class BridgeProcess {
  readonly logs: LogLine[] = [];
  /** Non-JSON output (a ConfigError line, a crash). */
  readonly text: string[] = [];
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(env: Record<string, string>) {
    this.child = spawn(process.execPath, [MAIN], {
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'debug', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.exited = once(this.child, 'exit').then(([code, signal]) => ({
      code: code as number | null,
      signal: signal as NodeJS.Signals | null,
    }));
    let buffered = '';
    const collect = (chunk: Buffer) => {
      buffered += chunk.toString();
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        try {
          this.logs.push(JSON.parse(line) as LogLine);
        } catch {
          if (line.trim() !== '') this.text.push(line);
        }
        newline = buffered.indexOf('\n');
      }
    };
    this.child.stdout?.on('data', collect);
    this.child.stderr?.on('data', collect);
  }

  /** Log lines with this message (and, optionally, matching fields). */
  find(msg: string, fields: Record<string, unknown> = {}): LogLine[] {
    return this.logs.filter(
      (line) => line.msg === msg && Object.entries(fields).every(([key, value]) => line[key] === value),
    );
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async kill(
    signal: NodeJS.Signals = 'SIGTERM',
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.running) this.child.kill(signal);
    return this.exited;
  }

  /** Prints the collected output; call it when a test fails to see why. */
  dump(): string {
    return [...this.text, ...this.logs.map((line) => JSON.stringify(line))].join('\n');
  }
}
