import type { EndpointRecord, RegistryChange } from '@wharf/core';
import { describe, expect, it } from 'vitest';
import { drainRecord } from '../../../../test/support/records.js';
import { createPalette } from '../render/palette.js';
import { endpointValue } from '../test-fixtures.js';
import { describeChange, renderWatchLine, watchJsonLine } from './watch.js';

const AT = '2026-01-02T03:04:05.000Z';
const record = (state: 'serving' | 'draining') => endpointValue('web', 'h:web-1:80', { state });
const change = (
  current: EndpointRecord | undefined,
  previous: EndpointRecord | undefined,
): RegistryChange => ({
  kind: 'endpoint',
  key: '/wharf/services/web/h:web-1:80',
  parsed: { kind: 'endpoint', service: 'web', instanceId: 'h:web-1:80' },
  current,
  previous,
});

describe('watch events', () => {
  it('names each endpoint change', () => {
    expect(describeChange(change(record('serving'), undefined), undefined, AT)?.event).toBe('add');
    expect(describeChange(change(record('draining'), record('serving')), undefined, AT)?.event).toBe('drain');
    expect(describeChange(change(record('serving'), record('draining')), undefined, AT)?.event).toBe(
      'update',
    );
    expect(describeChange(change(undefined, record('draining')), undefined, AT)).toMatchObject({
      event: 'remove',
      record: { state: 'draining' },
    });
    // An operator drain stopped it serving already (reported as operator-drain): the bridge's
    // rewrite of the record that follows is an update.
    const drained = () => true;
    expect(describeChange(change(record('draining'), record('serving')), undefined, AT, drained)?.event).toBe(
      'update',
    );
  });

  it('filters by service and reports operator drains', () => {
    expect(describeChange(change(record('serving'), undefined), 'api', AT)).toBeUndefined();
    const drain: RegistryChange = {
      kind: 'drain',
      key: '/wharf/drains/h:web-1:80',
      parsed: { kind: 'drain', instanceId: 'h:web-1:80' },
      current: drainRecord({ service: 'web', reason: 'kernel', at: AT }),
      previous: undefined,
    };
    expect(describeChange(drain, 'web', AT)).toMatchObject({ event: 'operator-drain', reason: 'kernel' });
    expect(describeChange(drain, 'api', AT)).toBeUndefined();
  });

  it('renders one line per change, as text or JSON', () => {
    const event = describeChange(change(record('serving'), undefined), undefined, AT);
    if (!event) throw new Error('expected an event');
    expect(renderWatchLine(event, createPalette(false))).toBe(
      '03:04:05 add              web h:web-1:80 10.0.0.5:32768 serving\n',
    );
    const line = watchJsonLine(event);
    expect(line.endsWith('\n') && !line.slice(0, -1).includes('\n')).toBe(true);
    expect(JSON.parse(line)).toMatchObject({ event: 'add', service: 'web', id: 'h:web-1:80', at: AT });
  });
});
