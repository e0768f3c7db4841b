import type { EndpointRecord } from '@wharf/core';
import { describe, expect, it } from 'vitest';
import { endpointValue } from '../test-fixtures.js';
import { parseWaitOptions, WaitProgress } from './wait.js';

const endpoint = (service: string, id: string, address: string, port: number) =>
  endpointValue(service, id, { address, port }) as unknown as EndpointRecord;

describe('WaitProgress', () => {
  it('is done once every service has at least min serving endpoints, and says what is missing before', () => {
    const progress = new WaitProgress(['db', 'cache'], 2);
    expect(progress.done).toBe(false);
    expect(progress.reachedEtcd).toBe(false);
    expect(progress.missing()).toEqual(['db was never read from etcd', 'cache was never read from etcd']);
    progress.update('db', [endpoint('db', 'h:db-1:5432', '10.0.0.5', 32768)]);
    progress.update('cache', []);
    expect(progress.missing()).toEqual([
      'db has 1 of 2 serving endpoints',
      'cache has 0 of 2 serving endpoints',
    ]);
    const twoDb = [
      endpoint('db', 'h:db-1:5432', '10.0.0.5', 32768),
      endpoint('db', 'h:db-2:5432', 'fd00::6', 5432),
    ];
    progress.update('db', twoDb);
    expect(progress.done).toBe(false);
    progress.update('cache', [
      endpoint('cache', 'h:c-1:1', '10.0.0.7', 11211),
      endpoint('cache', 'h:c-2:1', '10.0.0.8', 11211),
    ]);
    expect(progress.done).toBe(true);
    expect(progress.missing()).toEqual([]);
    expect(progress.environment()).toEqual({
      WHARF_DB_ADDRS: '10.0.0.5:32768,[fd00::6]:5432',
      WHARF_CACHE_ADDRS: '10.0.0.7:11211,10.0.0.8:11211',
    });
  });

  it('is not done when a service that was ready loses endpoints', () => {
    const progress = new WaitProgress(['db'], 1);
    progress.update('db', [endpoint('db', 'h:db-1:5432', '10.0.0.5', 1)]);
    expect(progress.done).toBe(true);
    progress.update('db', []);
    expect(progress.done).toBe(false);
  });
});

describe('parseWaitOptions', () => {
  it('defaults to one endpoint within 60 s; 0 is no limit', () => {
    expect(parseWaitOptions({})).toEqual({ min: 1, timeoutMs: 60_000 });
    expect(parseWaitOptions({ min: '3', timeout: '0' })).toEqual({ min: 3, timeoutMs: 0 });
    expect(parseWaitOptions({ timeout: '1.5m' })).toEqual({ min: 1, timeoutMs: 90_000 });
  });

  it.each([
    ['--min', { min: '0' }],
    ['--min', { min: 'two' }],
    ['--timeout', { timeout: 'soon' }],
  ])('refuses a bad %s naming it', (variable, flags) => {
    expect(() => parseWaitOptions(flags)).toThrow(
      expect.objectContaining({ code: 'WHARF_CONFIG_INVALID', variable }),
    );
  });
});
