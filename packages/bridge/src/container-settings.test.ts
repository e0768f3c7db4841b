import { describe, expect, it } from 'vitest';
import { ContainerSettings, parseLabel } from './container-settings.js';

describe('parseLabel', () => {
  it('returns what was expected for a bad value', () => {
    expect(parseLabel('wharf.weight', '7')).toEqual({ ok: true, value: 7 });
    const bad = parseLabel('wharf.weight', '-1');
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.expected).toMatch(/0 to 10000/);
  });
});

describe('ContainerSettings', () => {
  it('takes each setting from the sidecar env, else the label, else registrator env, and names the source', () => {
    const settings = new ContainerSettings(
      {
        labels: { 'wharf.weight': '2', 'wharf.tags': '' },
        env: ['SERVICE_TAGS=a,b', 'SERVICE_CHECK_HTTP=/ok'],
      },
      { 'wharf.service': 'web' },
    );
    expect(settings.source('wharf.service')).toEqual({ name: 'WHARF_SERVICE', value: 'web' });
    expect(settings.get('wharf.weight')).toBe(2);
    // An empty label does not hide registrator's value.
    expect(settings.get('wharf.tags')).toEqual(['a', 'b']);
    expect(settings.get('wharf.check')).toEqual({ kind: 'http', path: '/ok' });
    expect(settings.get('wharf.port')).toBeUndefined();
  });
});
