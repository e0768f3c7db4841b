const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;

/**
 * Parses `500ms`, `2s`, `1.5m`, `1h` into milliseconds; a bare number is seconds, as Docker and
 * registrator write them. Returns `undefined` for anything else (callers name the variable).
 */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1_000);
  const match = DURATION.exec(trimmed);
  if (!match) return undefined;
  const ms = Math.round(Number(match[1]) * (UNITS[match[2]!] ?? 0));
  return Number.isFinite(ms) ? ms : undefined;
}

/** The largest whole unit: `250ms`, `10s`, `5m`, `1h`. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
