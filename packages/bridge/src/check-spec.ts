import { durationSetting, integerSetting, type Setting, textSetting } from '@wharf/core';

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

const PATH = /^\/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*$/;

/** `wharf.check`: `http:<path>`, `tcp`, `docker` or `none`. */
export const checkKindSetting: Setting<{ kind: CheckKind; path?: string }> = textSetting(
  'http:<path> (such as http:/health), tcp, docker or none',
  (value) => {
    if (value === 'tcp' || value === 'docker' || value === 'none') return { kind: value };
    if (!value.startsWith('http:')) return undefined;
    const path = value.slice('http:'.length);
    return PATH.test(path) && path.length <= 1024 ? { kind: 'http', path } : undefined;
  },
);

/** `wharf.check.interval`: 100 ms to an hour. */
export const checkIntervalSetting = durationSetting({ minMs: 100, maxMs: 3_600_000 });
/** `wharf.check.timeout`: 10 ms to an hour (and no longer than the interval, checked with both). */
export const checkTimeoutSetting = durationSetting({ minMs: 10, maxMs: 3_600_000 });
/** `wharf.check.rise` / `.fall`. */
export const checkCountSetting = integerSetting({ min: 1, max: 100 });

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
