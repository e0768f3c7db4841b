import { ConfigError } from './errors.js';
import {
  booleanSetting,
  durationSetting,
  integerSetting,
  listSetting,
  oneOfSetting,
  parseSetting,
  type Setting,
} from './settings.js';

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads and validates environment variables once, at start, each through a zod `Setting` (the
 * same ones container labels go through). Every failure is a `ConfigError` whose message is one
 * line naming the variable, the value and what was expected.
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
    return this.setting(name, oneOfSetting(choices), fallback);
  }

  boolean(name: string, fallback: boolean): boolean {
    return this.setting(name, booleanSetting(), fallback);
  }

  integer(name: string, fallback: number, bounds: { min?: number; max?: number } = {}): number {
    return this.setting(name, integerSetting(bounds), fallback);
  }

  /** Milliseconds, from `500ms`, `2s`, `1m` or a bare number of seconds. */
  duration(name: string, fallbackMs: number, bounds: { minMs?: number; maxMs?: number } = {}): number {
    return this.setting(name, durationSetting(bounds), fallbackMs);
  }

  list(name: string, fallback: readonly string[] = []): string[] {
    return this.setting(name, listSetting(), [...fallback]);
  }

  /** The variable read through `setting`, or `fallback` when it is unset. */
  setting<T>(name: string, setting: Setting<T>, fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const parsed = parseSetting(setting, value);
    if (!parsed.ok) throw new ConfigError(name, value, parsed.expected);
    return parsed.value;
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
