import {
  type CommonConfig,
  createLogger,
  type Env,
  EtcdUnavailableError,
  type ExitCodes,
  WharfError,
} from '@wharf/core';
import type { ConnectionFlags } from './cli-config.js';
import { EXIT } from './cli-error.js';
import type { CommandContext } from './command-context.js';
import { createCliEtcdClient, type EtcdClient } from './etcd-session.js';
import { colourEnabled, createPalette } from './render/palette.js';

export interface GlobalFlags extends ConnectionFlags {
  readonly json?: boolean;
  readonly color?: boolean;
}

export interface CommandEnvironment {
  readonly env: Env;
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
}

export type Command = (context: CommandContext, signal: AbortSignal) => Promise<void>;

/**
 * Builds a command's context (logger → etcd client → output) from the validated config, runs the
 * command, and always closes the client. Failures are left to `reportFailure`.
 */
export async function runCommand(
  config: CommonConfig,
  flags: GlobalFlags,
  environment: CommandEnvironment,
  command: Command,
  signal: AbortSignal,
): Promise<void> {
  const { env, stdout, stderr } = environment;
  let client: EtcdClient | undefined;
  try {
    const logger = await createLogger(config.log, 'wharf');
    client = createCliEtcdClient(config.etcd);
    const palette = createPalette(
      colourEnabled({
        isTTY: stdout.isTTY === true,
        noColorEnv: env.NO_COLOR,
        colorFlag: flags.color !== false,
      }),
    );
    await command(
      {
        config,
        client,
        logger,
        json: flags.json === true,
        palette,
        write: (text) => {
          stdout.write(text);
        },
        warn: (text) => {
          stderr.write(`wharf: warning: ${text}\n`);
        },
        now: Date.now,
      },
      signal,
    );
  } finally {
    client?.close();
  }
}

/**
 * One line on stderr and the exit status scripts branch on: 2 when etcd could not be reached, 1
 * for everything else (unknown ids, refused writes). Unexpected errors also show their stack.
 */
export function reportFailure(
  error: unknown,
  environment: Omit<CommandEnvironment, 'stdout'>,
  codes: ExitCodes,
): number {
  const { env, stderr } = environment;
  stderr.write(`wharf: ${error instanceof Error ? error.message : String(error)}\n`);
  if (error instanceof EtcdUnavailableError) return EXIT.etcdUnavailable;
  if (error instanceof WharfError) return codes.failure;
  if (stderr.isTTY !== true || env.WHARF_DEBUG) stderr.write(`${(error as Error)?.stack ?? ''}\n`);
  return codes.failure;
}
