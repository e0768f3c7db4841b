import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ChildProgram, cleanEnv, PROGRAM_MAIN } from '../../support/child-program.js';

const execFileAsync = promisify(execFile);

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CLI = PROGRAM_MAIN.cli;
export { cleanEnv };

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs `wharf <args>` to completion with pipes (so stdout is not a terminal); at most 30 s. */
export async function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  const started = Date.now();
  const program = new ChildProgram(CLI, { args, env: cleanEnv(env) });
  const output = { stdout: '', stderr: '' };
  const ended = (['stdout', 'stderr'] as const).map(
    (stream) =>
      new Promise<void>((resolve) => {
        const readable = program.child[stream];
        readable?.on('data', (chunk: string) => {
          output[stream] += chunk;
        });
        readable?.once('close', resolve);
      }),
  );
  const timeout = setTimeout(() => void program.kill(), 30_000);
  const exit = await program.exited.finally(() => clearTimeout(timeout));
  await Promise.all(ended);
  if (exit.code === null)
    throw new Error(`wharf ${args.join(' ')} ended by ${exit.signal}:\n${output.stderr}`);
  return { code: exit.code, ...output, ms: Date.now() - started };
}

/** Runs `wharf <args>` under a pseudo-terminal (util-linux `script`), so stdout is a TTY. */
export async function runCliInTerminal(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<string> {
  const command = ['node', CLI, ...args].map((part) => `'${part.replaceAll("'", `'\\''`)}'`).join(' ');
  const { stdout } = await execFileAsync('script', ['-qec', command, '/dev/null'], {
    env: cleanEnv(env),
    timeout: 30_000,
  });
  return stdout;
}

/** A long-running `wharf` (e.g. watch) whose stdout lines are collected as they arrive. */
export function spawnCli(args: readonly string[], env: Record<string, string> = {}) {
  const lines: string[] = [];
  let stderr = '';
  const program = new ChildProgram(CLI, {
    args,
    env: cleanEnv(env),
    onLine: (line, stream) => {
      if (stream === 'stdout') lines.push(line);
      else stderr += `${line}\n`;
    },
  });
  return {
    lines,
    get stderr() {
      return stderr;
    },
    exited: program.exited.then((exit) => exit.code),
    /** Sends SIGINT (Ctrl-C) and waits for the exit status. */
    async interrupt(): Promise<number | null> {
      return (await program.stop('SIGINT')).code;
    },
    kill() {
      void program.kill();
    },
  };
}

/** Builds the CLI (and core) so the spawned program matches the sources under test. */
export async function buildCli(): Promise<void> {
  await execFileAsync('npx', ['tsc', '-b', 'packages/cli'], { cwd: REPO_ROOT, timeout: 120_000 });
}
