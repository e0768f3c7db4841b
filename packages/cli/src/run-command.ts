import { createLogger, type Env, EtcdUnavailableError, WharfError } from '@wharf/core';
import { type ConnectionFlags, readCliConfig } from './cli-config.js';
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
  readonly signal: AbortSignal;
}

/**
 * Builds a command's context (config → logger → etcd client → output), runs it, and turns any
 * failure into one line on stderr and an exit status: 2 when etcd could not be reached, 1 for
 * everything else (bad flags or env, unknown ids). The client is always closed.
 */
export async function runCommand(
  flags: GlobalFlags,
  environment: CommandEnvironment,
  command: (context: CommandContext, signal: AbortSignal) => Promise<void>,
): Promise<number> {
  const { env, stdout, stderr, signal } = environment;
  let client: EtcdClient | undefined;
  try {
    const config = readCliConfig(flags, env);
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
    return EXIT.ok;
  } catch (error) {
    stderr.write(`wharf: ${error instanceof Error ? error.message : String(error)}\n`);
    if (error instanceof EtcdUnavailableError) return EXIT.etcdUnavailable;
    if (error instanceof WharfError) return EXIT.failure;
    if (stderr.isTTY !== true || env.WHARF_DEBUG) stderr.write(`${(error as Error)?.stack ?? ''}\n`);
    return EXIT.failure;
  } finally {
    client?.close();
  }
}
