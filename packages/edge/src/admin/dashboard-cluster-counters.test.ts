import { describe, expect, it } from 'vitest';
import { clusterRouteCounters } from './dashboard-cluster-counters.js';

describe('clusterRouteCounters', () => {
  it('reads wharf_edge_requests_total by route and status from Prometheus text', () => {
    const text = [
      '# HELP wharf_edge_requests_total Requests answered',
      '# TYPE wharf_edge_requests_total counter',
      'wharf_edge_requests_total{route="a.test/",status="200"} 12',
      'wharf_edge_requests_total{route="a.test/",status="502"} 3',
      'wharf_edge_requests_total{route="-",status="404"} 1',
      'wharf_edge_requests_total_other{route="x",status="200"} 9',
      'wharf_edge_upstream_latency_seconds_bucket{le="0.1"} 4',
      '',
    ].join('\n');
    const counters = clusterRouteCounters(text);
    expect(counters.map(({ route, byStatus }) => [route, Object.fromEntries(byStatus)])).toEqual([
      ['a.test/', { 200: 12, 502: 3 }],
      ['-', { 404: 1 }],
    ]);
  });

  it('unescapes label values and tolerates label order and timestamps', () => {
    const text = 'wharf_edge_requests_total{status="500",route="q\\"uote\\\\d/"} 7 1700000000000\n';
    const [counter] = clusterRouteCounters(text);
    expect(counter?.route).toBe('q"uote\\d/');
    expect(counter?.byStatus.get(500)).toBe(7);
  });

  it('skips malformed lines instead of throwing', () => {
    const text = [
      'wharf_edge_requests_total{route="a/",status="200" 5',
      'wharf_edge_requests_total{route="a/,status="200"} 5',
      'wharf_edge_requests_total{route="a/",status="ok"} 5',
      'wharf_edge_requests_total{route="a/",status="200"} NaN',
      'wharf_edge_requests_total{status="200"} 5',
    ].join('\n');
    expect(clusterRouteCounters(text)).toEqual([]);
  });
});
