import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CLI = fileURLToPath(new URL('../../../packages/cli/dist/main.js', import.meta.url));

/** The test runner's environment without anything that would change what the CLI does. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || /^(WHARF_|LOG_|NO_COLOR$|FORCE_COLOR$)/.test(name)) continue;
    env[name] = value;
  }
  return { ...env, ...extra };
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs `wharf <args>` to completion with pipes (so stdout is not a terminal). */
export async function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  const started = Date.now();
  try {
    const { stdout, stderr } = await execFileAsync('node', [CLI, ...args], {
      env: cleanEnv(env),
      timeout: 30_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr, ms: Date.now() - started };
  } catch (error) {
    const failure = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof failure.code !== 'number') throw error;
    return {
      code: failure.code,
      stdout: failure.stdout ?? '',
      stderr: failure.stderr ?? '',
      ms: Date.now() - started,
    };
  }
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
  const child: ChildProcess = spawn('node', [CLI, ...args], {
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  let buffered = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    lines.push(...parts);
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    lines,
    get stderr() {
      return stderr;
    },
    exited,
    /** Sends SIGINT (Ctrl-C) and waits for the exit status. */
    async interrupt(): Promise<number | null> {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      return exited;
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** Builds the CLI (and core) so the spawned program matches the sources under test. */
export async function buildCli(): Promise<void> {
  await execFileAsync('npx', ['tsc', '-b', 'packages/cli'], { cwd: REPO_ROOT, timeout: 120_000 });
}
