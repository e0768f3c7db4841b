import { describe, expect, it } from 'vitest';
import { bridgeRecord, drainRecord } from '../../../../test/support/records.js';
import { createPalette } from '../render/palette.js';
import { endpointValue, NOW, snapshotOf } from '../test-fixtures.js';
import { renderBridges } from './bridges.js';
import { renderInspection } from './inspect.js';

const plain = createPalette(false);

describe('inspect rendering', () => {
  const record = endpointValue('web', 'h:web-1:80');

  it('shows the key, the lease time left, the drain and the full record', () => {
    const text = renderInspection(
      {
        kind: 'endpoint',
        key: '/wharf/services/web/h:web-1:80',
        record,
        lease: { id: '694d8a2b3c4e5f01', ttlSeconds: 8, grantedTtlSeconds: 10 },
        drain: drainRecord({ service: 'web', reason: 'kernel', at: '2026-01-02T03:04:05Z' }),
      },
      plain,
    );
    const lines = text.split('\n');
    expect(lines.slice(0, 3)).toEqual([
      'key    /wharf/services/web/h:web-1:80',
      'lease  694d8a2b3c4e5f01 (8s of 10s left)',
      'drain  by operator at 2026-01-02T03:04:05Z: kernel',
    ]);
    expect(JSON.parse(lines.slice(3).join('\n'))).toEqual(record);
  });

  it('says when there is no lease or it has expired', () => {
    const base = { kind: 'endpoint' as const, key: 'k', record, drain: null };
    expect(renderInspection({ ...base, lease: null }, plain)).toContain('lease  none\ndrain  none\n');
    expect(
      renderInspection({ ...base, lease: { id: 'a', ttlSeconds: -1, grantedTtlSeconds: 10 } }, plain),
    ).toContain('lease  a expired\n');
  });
});

describe('bridges rendering', () => {
  it('lists bridges with the number of endpoints each owns', () => {
    const snapshot = snapshotOf({
      '/wharf/bridges/h-sidecar': bridgeRecord({
        node: 'h',
        mode: 'sidecar',
        target: 'web-1',
        startedAt: '2026-01-02T02:04:05Z',
      }),
      '/wharf/services/web/h:web-1:80': endpointValue('web', 'h:web-1:80', { bridge: 'h-sidecar' }),
    });
    const lines = renderBridges(snapshot, plain, NOW).trimEnd().split('\n');
    expect(lines[1]?.split(/\s+/)).toEqual(['h-sidecar', 'sidecar', 'h', 'web-1', '0.1.0', '60m', '1']);
    expect(renderBridges(snapshotOf({}), plain, NOW)).toBe('no bridges running\n');
  });
});
