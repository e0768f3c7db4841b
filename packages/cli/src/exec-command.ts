import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { delimiter, join } from 'node:path';
import { WharfError } from '@wharf/core';

/** The command after `--` cannot be found or run. */
export class CommandNotFoundError extends WharfError {
  constructor(command: string) {
    super('WHARF_COMMAND_NOT_FOUND', `command not found: ${command}`);
  }
}

/** Shells' exit status for a command that cannot be found. */
export const EXIT_COMMAND_NOT_FOUND = 127;

const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;

type Execve = (file: string, args: readonly string[], env: NodeJS.ProcessEnv) => never;

/**
 * Runs `argv` in place of this process, as `exec` in a shell does: where Node has
 * `process.execve` (22.15 and later; the wharf/cli image runs Node 24) the process is replaced,
 * so the command gets wharf's PID, its signals and its exit status directly. Elsewhere the command
 * is started as a child with the same stdio, signals are passed on to it, and its exit status
 * (128 + the signal number when a signal ended it) is returned.
 */
export async function execCommand(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [command] = argv;
  if (command === undefined) throw new CommandNotFoundError('(none)');
  const file = findExecutable(command, env.PATH ?? '');
  if (file === undefined) throw new CommandNotFoundError(command);
  const execve = (process as unknown as { execve?: Execve }).execve;
  if (typeof execve === 'function') execve(file, argv, env);
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv.slice(1), { stdio: 'inherit', env, argv0: command });
    const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
    const forwarders = FORWARDED_SIGNALS.map((signal) => [signal, forward(signal)] as const);
    for (const [signal, handler] of forwarders) process.on(signal, handler);
    const done = () => {
      for (const [signal, handler] of forwarders) process.off(signal, handler);
    };
    child.once('error', (error) => {
      done();
      reject(new CommandNotFoundError(`${command} (${error.message})`));
    });
    child.once('exit', (code, signal) => {
      done();
      resolve(code ?? 128 + (signal ? (osConstants.signals[signal] ?? 0) : 0));
    });
  });
}

/** `command` itself when it names a path, else the first executable of that name on `path`. */
export function findExecutable(command: string, path: string): string | undefined {
  const candidates = command.includes('/')
    ? [command]
    : path
        .split(delimiter)
        .filter((directory) => directory !== '')
        .map((directory) => join(directory, command));
  return candidates.find((candidate) => {
    try {
      accessSync(candidate, constants.X_OK);
      return statSync(candidate).isFile();
    } catch {
      return false;
    }
  });
}
