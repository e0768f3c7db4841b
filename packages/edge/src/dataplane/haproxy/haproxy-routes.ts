/**
 * How routes become map keys. HAProxy's `map_beg` picks the longest matching key but knows
 * nothing of path segments (`/api` would match `/apix`): keys are `<route host><prefix>/` and
 * the request is looked up as `<route host><path>/`, so `/api` matches `/api`, `/api/x` and
 * `/api?q` (the query is not part of the path) but not `/apix`. The host is part of the key,
 * so one host's lookup never finds another host's prefixes.
 */
export function routeMapKey(routeHost: string, pathPrefix: string): string {
  return pathPrefix === '/' ? `${routeHost}/` : `${routeHost}${pathPrefix}/`;
}

/**
 * A wildcard route host `*.example.com` as a `map_end` key, `.example.com`: it matches one or
 * more labels in front (`a.example.com`, `a.b.example.com`) but not the apex, as the built-in
 * plane does (`map_dom` would match the apex too).
 */
export function wildcardMapKey(routeHost: string): string {
  return routeHost.slice(1);
}

/** HAProxy's largest server weight. */
export const MAX_HAPROXY_WEIGHT = 256;

/**
 * wharf weights (0–10000) as HAProxy weights (0–256) for one pool: unchanged while the pool's
 * largest weight fits, else scaled down together so their ratios survive (a weight above 0
 * never becomes 0, which would stop its traffic). Only ratios matter to round-robin.
 */
export function haproxyWeights(weights: readonly number[]): number[] {
  let max = 0;
  for (const weight of weights) if (weight > max) max = weight;
  if (max <= MAX_HAPROXY_WEIGHT) return [...weights];
  return weights.map((weight) =>
    weight === 0 ? 0 : Math.max(1, Math.round((weight * MAX_HAPROXY_WEIGHT) / max)),
  );
}

/**
 * Whether a path prefix can be a map key: map files and the Runtime API split on white space
 * and read a backslash as an escape. (Record validation already refuses spaces; a backslash
 * is no valid path character, so such a route could never match a request anyway.)
 */
export function isMappablePrefix(pathPrefix: string): boolean {
  return !/[\s\\#]/.test(pathPrefix);
}
