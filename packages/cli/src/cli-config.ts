import { type CommonConfig, ConfigError, ConfigReader, type Env, readCommonConfig } from '@wharf/core';

/** Connection flags and the `WHARF_*` variables they stand for; flags win over the environment. */
export const CONNECTION_FLAGS = {
  etcd: 'WHARF_ETCD',
  prefix: 'WHARF_PREFIX',
  username: 'WHARF_ETCD_USERNAME',
  password: 'WHARF_ETCD_PASSWORD',
  ca: 'WHARF_ETCD_CA',
  cert: 'WHARF_ETCD_CERT',
  key: 'WHARF_ETCD_KEY',
} as const;

export type ConnectionFlags = { readonly [K in keyof typeof CONNECTION_FLAGS]?: string | undefined };

/**
 * The CLI's configuration: flags are laid over the environment under the agents' variable names
 * and read by the same `readCommonConfig`, so both validate identically. A CLI logs warnings
 * only, readably, unless LOG_LEVEL / LOG_FORMAT say otherwise.
 */
export function readCliConfig(flags: ConnectionFlags, env: Env): CommonConfig {
  const merged: Record<string, string | undefined> = { LOG_LEVEL: 'warn', LOG_FORMAT: 'pretty', ...env };
  const fromFlag = new Map<string, string>();
  for (const [flag, variable] of Object.entries(CONNECTION_FLAGS)) {
    const value = flags[flag as keyof ConnectionFlags];
    if (value === undefined) continue;
    merged[variable] = value;
    fromFlag.set(variable, `--${flag}`);
  }
  try {
    return readCommonConfig(new ConfigReader(merged));
  } catch (error) {
    if (error instanceof ConfigError && fromFlag.has(error.variable)) {
      error.message = `${error.message} (set by ${fromFlag.get(error.variable)})`;
    }
    throw error;
  }
}
