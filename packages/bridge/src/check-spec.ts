import { parseDuration } from '@wharf/core';

export type CheckKind = 'http' | 'tcp' | 'docker' | 'none';

/** How one endpoint is health-checked; parsed from `wharf.check*` (or their aliases). */
export interface CheckSpec {
  readonly kind: CheckKind;
  /** Request path for `http` checks. */
  readonly path?: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Consecutive passes before a failing (or new) endpoint is published. */
  readonly rise: number;
  /** Consecutive failures before a published endpoint is withdrawn. */
  readonly fall: number;
  /** Human-readable form written to the record's `health.check`. */
  readonly description: string;
}

export const CHECK_DEFAULTS = Object.freeze({ intervalMs: 2_000, timeoutMs: 1_000, rise: 1, fall: 2 });

/** A parse result: the value, or what was expected instead (callers name the label or variable). */
export type Parsed<T> = { ok: true; value: T } | { ok: false; expected: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = (expected: string): Parsed<never> => ({ ok: false, expected });

const PATH = /^\/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*$/;

export function parseCheckKind(text: string): Parsed<{ kind: CheckKind; path?: string }> {
  const value = text.trim();
  if (value === 'tcp' || value === 'docker' || value === 'none') return ok({ kind: value });
  if (value.startsWith('http:')) {
    const path = value.slice('http:'.length);
    if (PATH.test(path) && path.length <= 1024) return ok({ kind: 'http', path });
  }
  return bad('http:<path> (such as http:/health), tcp, docker or none');
}

export function parseCheckDuration(text: string, minMs: number): Parsed<number> {
  const ms = parseDuration(text);
  if (ms === undefined || ms < minMs || ms > 3_600_000) {
    return bad(`a duration such as 500ms, 2s or 1m, from ${minMs}ms to 1h`);
  }
  return ok(ms);
}

export function parseCount(text: string): Parsed<number> {
  const value = text.trim();
  if (!/^\d{1,3}$/.test(value) || Number(value) < 1 || Number(value) > 100)
    return bad('a whole number from 1 to 100');
  return ok(Number(value));
}

export function describeCheck(kind: CheckKind, path?: string): string {
  switch (kind) {
    case 'http':
      return `http GET ${path ?? '/'}`;
    case 'tcp':
      return 'tcp connect';
    case 'docker':
      return 'docker HEALTHCHECK';
    case 'none':
      return 'none';
  }
}
