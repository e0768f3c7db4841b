/**
 * The canonical form of a route's path prefix: a trailing slash is dropped (except for `/`), so
 * `/api/` and `/api` are the same route.
 */
export function normalisePathPrefix(prefix: string): string {
  let end = prefix.length;
  while (end > 1 && prefix.charCodeAt(end - 1) === 47 /* / */) end -= 1;
  return end === prefix.length ? prefix : prefix.slice(0, end);
}

/**
 * True when `url` (path plus optional query) lies under `prefix` on a path-segment boundary:
 * `/api` matches `/api`, `/api/x` and `/api?q` but not `/apix`. Case-sensitive, as paths are.
 */
export function pathMatches(url: string, prefix: string): boolean {
  if (prefix.length === 1) return true;
  if (!url.startsWith(prefix)) return false;
  if (url.length === prefix.length) return true;
  const next = url.charCodeAt(prefix.length);
  return next === 47 /* / */ || next === 63 /* ? */ || next === 35 /* # */;
}
