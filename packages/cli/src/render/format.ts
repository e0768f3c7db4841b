import type { DrainRecord, EndpointRecord, HttpRoute } from '@wharf/core';
import type { Palette } from './palette.js';

/** `12s`, `5m`, `3h`, `2d` since an ISO time; `-` when the time is missing or unreadable. */
export function formatAge(since: string | undefined, now: number): string {
  const then = since ? Date.parse(since) : Number.NaN;
  if (Number.isNaN(then)) return '-';
  return formatSpan(now - then);
}

/** A span of milliseconds as `12s`, `5m`, `3h` or `2d` (negative spans count as 0). */
export function formatSpan(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 120) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}

/** `address:port`, with IPv6 literals in brackets as in a URL. */
export function formatAddress(record: Pick<EndpointRecord, 'address' | 'port'>): string {
  return record.address.includes(':')
    ? `[${record.address}]:${record.port}`
    : `${record.address}:${record.port}`;
}

export function formatRoute(route: HttpRoute): string {
  return `${route.host}${route.pathPrefix}`;
}

/**
 * The state column: the record's own state, and an operator drain when there is one — shown
 * even before the bridge has rewritten the record, so `wharf drain` is visible at once.
 */
export function formatState(
  state: EndpointRecord['state'],
  drain: DrainRecord | undefined,
  palette: Palette,
): string {
  const base = state === 'serving' ? palette.green('serving') : palette.yellow('draining');
  if (!drain) return base;
  const reason = drain.reason ? `: ${drain.reason}` : '';
  return state === 'serving'
    ? `${base} ${palette.yellow(`(drain requested${reason})`)}`
    : `${base} ${palette.dim(`(operator${reason})`)}`;
}

export function formatHealth(health: EndpointRecord['health'], palette: Palette): string {
  if (!health) return palette.dim('-');
  const status = health.status === 'passing' ? palette.green(health.status) : palette.red(health.status);
  return `${status} ${palette.dim(health.check)}`;
}
