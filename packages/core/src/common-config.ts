import { existsSync } from 'node:fs';
import { ConfigReader, type Env } from './config-reader.js';
import { ConfigError } from './errors.js';
import { KeyLayout } from './key-layout.js';

export interface EtcdConfig {
  readonly endpoints: readonly string[];
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  /** Paths to PEM files. */
  readonly ca?: string | undefined;
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
}

export interface LogConfig {
  readonly level: string;
  readonly format: 'json' | 'pretty';
}

export interface CommonConfig {
  readonly etcd: EtcdConfig;
  readonly layout: KeyLayout;
  readonly log: LogConfig;
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The settings every wharf program shares: etcd connection, key prefix and logging. */
export function readCommonConfig(reader: ConfigReader): CommonConfig {
  const endpoints = reader.list('WHARF_ETCD', ['http://127.0.0.1:2379']);
  for (const endpoint of endpoints) {
    if (!/^https?:\/\/[^/\s]+(:\d{1,5})?\/?$/.test(endpoint)) {
      throw new ConfigError(
        'WHARF_ETCD',
        endpoint,
        'a comma list of http:// or https:// URLs such as http://127.0.0.1:2379',
      );
    }
  }
  if (endpoints.length === 0) throw new ConfigError('WHARF_ETCD', '', 'at least one etcd URL');

  const username = reader.string('WHARF_ETCD_USERNAME');
  const password = reader.string('WHARF_ETCD_PASSWORD');
  if (username !== undefined && password === undefined) {
    throw new ConfigError('WHARF_ETCD_PASSWORD', '', 'a password when WHARF_ETCD_USERNAME is set');
  }
  const exists = (path: string) => existsSync(path);
  const ca = reader.file('WHARF_ETCD_CA', exists);
  const cert = reader.file('WHARF_ETCD_CERT', exists);
  const key = reader.file('WHARF_ETCD_KEY', exists);
  if ((cert === undefined) !== (key === undefined)) {
    throw new ConfigError(
      cert ? 'WHARF_ETCD_KEY' : 'WHARF_ETCD_CERT',
      '',
      'both WHARF_ETCD_CERT and WHARF_ETCD_KEY, or neither',
    );
  }

  const prefix = reader.string('WHARF_PREFIX', '/wharf');
  let layout: KeyLayout;
  try {
    layout = new KeyLayout(prefix);
  } catch {
    throw new ConfigError('WHARF_PREFIX', prefix, 'an absolute key path such as /wharf');
  }

  return Object.freeze({
    etcd: Object.freeze({ endpoints, username, password, ca, cert, key }),
    layout,
    log: Object.freeze({
      level: reader.oneOf('LOG_LEVEL', LEVELS, 'info'),
      format: reader.oneOf('LOG_FORMAT', ['json', 'pretty'] as const, 'json'),
    }),
  });
}

export function loadCommonConfig(env: Env): CommonConfig {
  return readCommonConfig(new ConfigReader(env));
}
