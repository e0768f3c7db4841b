import { describe, expect, it } from 'vitest';
import { backendStates, HaproxyCounters, parseShowStat } from './haproxy-stats.js';

const HEADER =
  '# pxname,svname,scur,econ,eresp,srv_abrt,status,lastchg,type,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,';

/** `show stat` output with the columns the edge reads. */
function stat(rows: string[]): string {
  return `${[HEADER, ...rows].join('\n')}\n`;
}

describe('parseShowStat', () => {
  it('reads rows by column name', () => {
    const [row] = parseShowStat(stat(['p0,BACKEND,1,0,0,0,UP,5,1,0,7,0,0,0,0,']));
    expect(row).toMatchObject({ pxname: 'p0', svname: 'BACKEND', type: '1', hrsp_2xx: '7' });
  });
});

describe('HaproxyCounters', () => {
  const slots = new Map([['p0', 'web.test/']]);

  it('counts pools by class and the edge’s own answers by exact code, what only the frontend saw unrouted', () => {
    const counters = new HaproxyCounters();
    counters.update(
      parseShowStat(
        stat([
          'wharf,FRONTEND,,,,,OPEN,,0,0,9,0,6,1,0,',
          'p0,BACKEND,,,,,UP,,1,0,9,0,1,1,0,',
          'wharf_no_route,BACKEND,,,,,UP,,1,0,0,0,3,0,0,',
          'p1,BACKEND,,,,,UP,,1,0,0,0,0,0,0,',
        ]),
      ),
      slots,
      0,
    );
    const requests = new Map(
      [...counters.requests()].map(({ route, byStatus }) => [route, Object.fromEntries(byStatus)]),
    );
    expect(requests.get('web.test/')).toEqual({ '2xx': 9, '4xx': 1, '5xx': 1 });
    // 404s the edge answered itself, and two 4xx HAProxy refused before routing.
    expect(requests.get('-')).toEqual({ 404: 3, '4xx': 2 });
  });

  it('adds increments across readings, and starts over when HAProxy did (a reload)', () => {
    const counters = new HaproxyCounters();
    const reading = (ok: number) => parseShowStat(stat([`p0,BACKEND,,,,,UP,,1,0,${ok},0,0,0,0,`]));
    counters.update(reading(5), slots, 0);
    counters.update(reading(8), slots, 0);
    counters.update(reading(2), slots, 1);
    // A reading from before the reload, answered late: ignored.
    counters.update(reading(9), slots, 0);
    const [entry] = [...counters.requests()];
    expect(entry?.byStatus.get('2xx')).toBe(10);
  });

  it('counts connection failures, resets and invalid responses of servers', () => {
    const counters = new HaproxyCounters();
    counters.update(parseShowStat(stat(['p0,n1:a:80,0,3,5,2,UP,1,2,0,0,0,0,0,0,'])), slots, 0);
    expect(Object.fromEntries(counters.failures)).toEqual({ connect: 3, reset: 2, invalid_response: 3 });
  });
});

describe('backendStates', () => {
  it('sums a backend over every pool and says when a server marked down is checked again', () => {
    const now = Date.parse('2026-01-01T00:00:10Z');
    const states = backendStates(
      parseShowStat(
        stat([
          'p0,n1:a:80,2,0,0,0,UP,100,2,,,,,,,',
          'p0,n1:a:80:panic,1,0,0,0,UP,100,2,,,,,,,',
          'p1,n1:a:80,1,0,0,0,UP,100,2,,,,,,,',
          'p1,n1:b:80,0,0,0,0,DOWN,4,2,,,,,,,',
        ]),
      ),
      new Map([
        ['p0/n1:a:80', '10.0.0.1:80'],
        ['p0/n1:a:80:panic', '10.0.0.1:80'],
        ['p1/n1:a:80', '10.0.0.1:80'],
        ['p1/n1:b:80', '10.0.0.2:80'],
      ]),
      10_000,
      now,
    );
    expect(states).toEqual([
      { backend: '10.0.0.1:80', active: 4, ejectedUntil: null, consecutiveFailures: 0 },
      // Down 4 s ago, checked every 10 s: back at the earliest 6 s from now.
      { backend: '10.0.0.2:80', active: 0, ejectedUntil: '2026-01-01T00:00:16.000Z', consecutiveFailures: 3 },
    ]);
  });
});
