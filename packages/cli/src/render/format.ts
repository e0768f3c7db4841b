import { type DrainRecord, type EndpointRecord, type HttpRoute, isServing } from '@wharf/core';
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

export function formatRoute(route: HttpRoute): string {
  return `${route.host}${route.pathPrefix}`;
}

/**
 * The state column: serving or draining by core's `isServing` — an operator drain makes an
 * endpoint draining at once, whether or not its bridge has rewritten the record — and the
 * drain's reason when an operator asked for it.
 */
export function formatState(
  state: EndpointRecord['state'],
  drain: DrainRecord | undefined,
  palette: Palette,
): string {
  const base = isServing({ state }, drain !== undefined)
    ? palette.green('serving')
    : palette.yellow('draining');
  if (!drain) return base;
  return `${base} ${palette.dim(`(operator${drain.reason ? `: ${drain.reason}` : ''})`)}`;
}

export function formatHealth(health: EndpointRecord['health'], palette: Palette): string {
  if (!health) return palette.dim('-');
  const status = health.status === 'passing' ? palette.green(health.status) : palette.red(health.status);
  return `${status} ${palette.dim(health.check)}`;
}
