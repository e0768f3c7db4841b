import { parseDuration } from './duration.js';
import { ConfigError } from './errors.js';

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads and validates environment variables once, at start. Every failure is a `ConfigError`
 * whose message is one line naming the variable, the value and what was expected.
 * This is the only place in wharf that looks at the environment it is given.
 */
export class ConfigReader {
  readonly #env: Env;

  constructor(env: Env) {
    this.#env = env;
  }

  /** The raw value, with empty strings treated as unset. */
  raw(name: string): string | undefined {
    const value = this.#env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  string(name: string, fallback: string): string;
  string(name: string): string | undefined;
  string(name: string, fallback?: string): string | undefined {
    return this.raw(name) ?? fallback;
  }

  oneOf<const T extends string>(name: string, choices: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!(choices as readonly string[]).includes(value))
      throw new ConfigError(name, value, `one of ${choices.join(', ')}`);
    return value as T;
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (/^(true|1|yes|on)$/i.test(value)) return true;
    if (/^(false|0|no|off)$/i.test(value)) return false;
    throw new ConfigError(name, value, 'true or false');
  }

  integer(name: string, fallback: number, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const number = Number(value);
    if (!/^-?\d+$/.test(value) || number < min || number > max) {
      throw new ConfigError(name, value, `a whole number from ${min} to ${max}`);
    }
    return number;
  }

  /** Milliseconds, from `500ms`, `2s`, `1m` or a bare number of seconds. */
  duration(name: string, fallbackMs: number, { minMs = 0, maxMs = 24 * 3_600_000 } = {}): number {
    const value = this.raw(name);
    if (value === undefined) return fallbackMs;
    const ms = parseDuration(value);
    if (ms === undefined || ms < minMs || ms > maxMs) {
      throw new ConfigError(
        name,
        value,
        `a duration such as 500ms, 10s or 1m, from ${minMs}ms to ${maxMs}ms`,
      );
    }
    return ms;
  }

  list(name: string, fallback: readonly string[] = []): string[] {
    const value = this.raw(name);
    if (value === undefined) return [...fallback];
    return value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  }

  /** `host:port`, `:port` or `port`; the host defaults to `defaultHost`. */
  listenAddress(name: string, fallback: string, defaultHost = '0.0.0.0'): { host: string; port: number } {
    const value = this.raw(name) ?? fallback;
    const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*))?:?(\d{1,5})$/.exec(value);
    const port = Number(match?.[3]);
    if (!match || port > 65_535) throw new ConfigError(name, value, 'host:port, such as 0.0.0.0:8080');
    return { host: match[1] ?? (match[2] || defaultHost), port };
  }

  /** A file that must exist and be readable when set; returns the path. */
  file(name: string, exists: (path: string) => boolean): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (!exists(value)) throw new ConfigError(name, value, 'a readable file');
    return value;
  }
}
