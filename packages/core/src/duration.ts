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

export function formatDuration(ms: number): string {
  if (ms % 1_000 !== 0) return `${ms}ms`;
  return `${ms / 1_000}s`;
}
