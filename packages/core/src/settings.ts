import { z } from 'zod';
import { formatDuration, parseDuration } from './duration.js';
import { isValidName } from './names.js';

/**
 * A setting: text from an environment variable, a flag or a container label, validated and
 * turned into its value by a zod schema whose error message says what was expected. Program
 * settings (`ConfigReader`), per-container labels and registry records all go through zod.
 */
export type Setting<T> = z.ZodType<T, string>;

/** A parse result: the value, or what was expected instead (the caller names the variable or label). */
export type Parsed<T> = { ok: true; value: T } | { ok: false; expected: string };

export function parseSetting<T>(setting: Setting<T>, text: string): Parsed<T> {
  const result = setting.safeParse(text);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, expected: result.error.issues[0]?.message ?? 'a valid value' };
}

/** Text (trimmed) that `convert` turns into a value, or refuses with undefined — then `expected` says why. */
export function textSetting<T>(expected: string, convert: (text: string) => T | undefined): Setting<T> {
  return z.string().transform((text, context) => {
    const value = convert(text.trim());
    if (value === undefined) {
      context.addIssue({ code: 'custom', message: expected });
      return z.NEVER;
    }
    return value;
  });
}

export function booleanSetting(): Setting<boolean> {
  return textSetting('true or false', (text) => {
    if (/^(true|1|yes|on)$/i.test(text)) return true;
    if (/^(false|0|no|off)$/i.test(text)) return false;
    return undefined;
  });
}

export function integerSetting({ min = 0, max = Number.MAX_SAFE_INTEGER } = {}): Setting<number> {
  return textSetting(`a whole number from ${min} to ${max}`, (text) => {
    const number = Number(text);
    return /^-?\d+$/.test(text) && number >= min && number <= max ? number : undefined;
  });
}

/** Milliseconds, from `500ms`, `2s`, `1m` or a bare number of seconds. */
export function durationSetting({ minMs = 0, maxMs = 24 * 3_600_000 } = {}): Setting<number> {
  return textSetting(
    `a duration such as 500ms, 10s or 1m, from ${formatDuration(minMs)} to ${formatDuration(maxMs)}`,
    (text) => {
      const ms = parseDuration(text);
      return ms !== undefined && ms >= minMs && ms <= maxMs ? ms : undefined;
    },
  );
}

export function oneOfSetting<const T extends string>(choices: readonly T[]): Setting<T> {
  return textSetting(`one of ${choices.join(', ')}`, (text) =>
    (choices as readonly string[]).includes(text) ? (text as T) : undefined,
  );
}

/** A comma list; empty items are dropped. */
export function listSetting(): Setting<string[]> {
  return z.string().transform((text) =>
    text
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== ''),
  );
}

/** A service name, instance id, node or bridge id: what may go into a key. */
export function nameSetting(): Setting<string> {
  return textSetting('a name of 1-253 characters of A-Z a-z 0-9 . _ : -', (text) =>
    isValidName(text) ? text : undefined,
  );
}
