import { spawn } from 'node:child_process';

export interface DockerOptions {
  /** Written to the command's stdin (then closed). */
  readonly input?: string;
  /** Killed (SIGKILL) after this long; default 120 s. */
  readonly timeoutMs?: number;
}

/** A `docker` command that exited with a non-zero status, with what it printed on stderr. */
export class DockerCommandError extends Error {
  readonly code = 'DOCKER_COMMAND_FAILED';
  readonly args: readonly string[];
  readonly exitCode: number | null;
  readonly stderr: string;

  constructor(args: readonly string[], exitCode: number | null, stderr: string) {
    super(`docker ${args.join(' ')} failed (${exitCode ?? 'killed'}): ${stderr.trim().slice(-2_000)}`);
    this.name = 'DockerCommandError';
    this.args = args;
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

/** Runs the docker CLI and resolves with its stdout; rejects with `DockerCommandError`. */
export function docker(args: readonly string[], options: DockerOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const input = options.input;
    const child = spawn('docker', args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new DockerCommandError(args, code, stderr));
    });
    if (child.stdin && input !== undefined) {
      // A command that exits before reading its input must fail with its own error, not EPIPE.
      child.stdin.on('error', () => {});
      child.stdin.end(input);
    }
  });
}
