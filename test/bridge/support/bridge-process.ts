import { ChildProgram, type Exit, PROGRAM_MAIN } from '../../support/child-program.js';

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
  readonly #program: ChildProgram;

  constructor(env: Record<string, string>) {
    this.#program = new ChildProgram(PROGRAM_MAIN.bridge, {
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'debug', ...env },
      onLine: (line) => {
        try {
          this.logs.push(JSON.parse(line) as LogLine);
        } catch {
          if (line.trim() !== '') this.text.push(line);
        }
      },
    });
  }

  get child() {
    return this.#program.child;
  }

  get exited(): Promise<Exit> {
    return this.#program.exited;
  }

  /** Log lines with this message (and, optionally, matching fields). */
  find(msg: string, fields: Record<string, unknown> = {}): LogLine[] {
    return this.logs.filter(
      (line) => line.msg === msg && Object.entries(fields).every(([key, value]) => line[key] === value),
    );
  }

  get running(): boolean {
    return this.#program.running;
  }

  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit> {
    return this.#program.stop(signal);
  }

  /** Prints the collected output; call it when a test fails to see why. */
  dump(): string {
    return [...this.text, ...this.logs.map((line) => JSON.stringify(line))].join('\n');
  }
}
