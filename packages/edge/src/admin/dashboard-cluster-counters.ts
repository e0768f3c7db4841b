import type { RouteCounters } from '../dataplane/route-stats.js';

const METRIC = 'wharf_edge_requests_total';

/**
 * Per-route counters from Prometheus text: under node:cluster the primary holds no counters of
 * its own, but prom-client's aggregator sums every worker's `wharf_edge_requests_total`, so the
 * dashboard reads the cluster-wide numbers back from that text.
 */
export function clusterRouteCounters(text: string): RouteCounters[] {
  const routes = new Map<string, Map<number, number>>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${METRIC}{`)) continue;
    const parsed = parseSample(line, METRIC.length + 1);
    if (parsed === undefined) continue;
    const route = parsed.labels.get('route');
    const status = Number(parsed.labels.get('status'));
    if (route === undefined || !Number.isInteger(status) || !Number.isFinite(parsed.value)) continue;
    let byStatus = routes.get(route);
    if (byStatus === undefined) {
      byStatus = new Map();
      routes.set(route, byStatus);
    }
    byStatus.set(status, (byStatus.get(status) ?? 0) + parsed.value);
  }
  return [...routes].map(([route, byStatus]) => ({ route, byStatus }));
}

/** `name{a="x",b="y\"z"} 12` from just after the `{`; label values use Prometheus's escapes. */
function parseSample(
  line: string,
  start: number,
): { labels: Map<string, string>; value: number } | undefined {
  const labels = new Map<string, string>();
  let index = start;
  while (index < line.length && line[index] !== '}') {
    const equals = line.indexOf('="', index);
    if (equals < 0) return undefined;
    const name = line.slice(index, equals);
    index = equals + 2;
    let value = '';
    while (index < line.length && line[index] !== '"') {
      if (line[index] === '\\' && index + 1 < line.length) {
        const next = line[index + 1];
        value += next === 'n' ? '\n' : next;
        index += 2;
      } else {
        value += line[index];
        index += 1;
      }
    }
    if (line[index] !== '"') return undefined;
    labels.set(name, value);
    index += 1;
    if (line[index] === ',') index += 1;
  }
  if (line[index] !== '}') return undefined;
  const value = Number(
    line
      .slice(index + 1)
      .trim()
      .split(' ')[0],
  );
  return { labels, value };
}
