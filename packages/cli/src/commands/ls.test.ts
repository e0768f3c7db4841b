import { describe, expect, it } from 'vitest';
import { drainRecord } from '../../../../test/support/records.js';
import { createPalette } from '../render/palette.js';
import { endpointValue, NOW, snapshotOf } from '../test-fixtures.js';
import { lsJson, renderLs } from './ls.js';

const plain = createPalette(false);

describe('ls rendering', () => {
  const snapshot = snapshotOf({
    '/wharf/services/web/h:web-2:80': endpointValue('web', 'h:web-2:80', {
      routes: [
        { host: 'web.example.com', pathPrefix: '/' },
        { host: 'www.example.com', pathPrefix: '/' },
      ],
    }),
    '/wharf/services/api/h:api-1:80': endpointValue('api', 'h:api-1:80', { address: 'fd00::1', port: 81 }),
    '/wharf/services/web/bad': 'not json',
    '/wharf/drains/h:api-1:80': drainRecord({ service: 'api', reason: 'kernel', at: '2026-01-02T03:04:05Z' }),
  });

  it('lists endpoints sorted by service and instance, one row each', () => {
    const lines = renderLs(snapshot, undefined, plain, NOW).split('\n');
    expect(lines[0]).toMatch(/^SERVICE\s+INSTANCE\s+ADDRESS\s+STATE\s+HEALTH\s+NODE\s+AGE\s+ROUTES$/);
    expect(lines[1]).toMatch(
      /^api\s+h:api-1:80\s+\[fd00::1\]:81\s+draining \(operator: kernel\)\s+passing http GET \/health\s+host1\s+30s\s+-$/,
    );
    expect(lines[2]).toMatch(/^web\s+h:web-2:80\s+10\.0\.0\.5:32768\s+serving\s+.*\s+web\.example\.com\/$/);
    expect(lines[3]).toMatch(/^\s+www\.example\.com\/$/);
    expect(snapshot.skipped).toEqual([{ key: '/wharf/services/web/bad', reason: 'value is not JSON' }]);
  });

  it('filters by service and says when nothing is registered', () => {
    expect(renderLs(snapshot, 'web', plain, NOW)).not.toContain('api');
    expect(renderLs(snapshot, 'nope', plain, NOW)).toBe('no endpoints registered for service nope\n');
  });

  it('gives scripts the full records with their keys and drains', () => {
    const rows = JSON.parse(lsJson(snapshot, undefined));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      key: '/wharf/services/api/h:api-1:80',
      record: { service: 'api', id: 'h:api-1:80', port: 81 },
      drain: { reason: 'kernel' },
    });
    expect(rows[1].drain).toBeNull();
  });
});
