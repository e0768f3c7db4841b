// Letters, digits, `-`, `_` and dots; a bracketed IPv6 literal is handled separately.
const HOST_NAME = /^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/;
const IPV6_LITERAL = /^\[[0-9a-f:.]+\]$/;

/**
 * The route key for a `Host` header: lowercase, port and one trailing dot stripped. Returns
 * `undefined` for a missing or malformed value (the edge answers 400).
 */
export function normaliseHost(raw: string | undefined): string | undefined {
  if (raw === undefined || raw.length === 0 || raw.length > 260) return undefined;
  let host = raw.toLowerCase();
  if (host.charCodeAt(0) === 91 /* [ */) {
    const end = host.indexOf(']');
    if (end < 0) return undefined;
    const rest = host.slice(end + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return undefined;
    host = host.slice(0, end + 1);
    return IPV6_LITERAL.test(host) ? host : undefined;
  }
  const colon = host.indexOf(':');
  if (colon >= 0) {
    if (!/^\d{1,5}$/.test(host.slice(colon + 1))) return undefined;
    host = host.slice(0, colon);
  }
  if (host.endsWith('.')) host = host.slice(0, -1);
  return HOST_NAME.test(host) && host.length <= 253 ? host : undefined;
}
