import { parseSetting } from '@wharf/core';
import { describe, expect, it } from 'vitest';
import { checkCountSetting, checkIntervalSetting, checkKindSetting, describeCheck } from './check-spec.js';

const parseCheckKind = (text: string) => parseSetting(checkKindSetting, text);

describe('check parsing', () => {
  it('parses the four kinds', () => {
    expect(parseCheckKind('http:/health')).toEqual({ ok: true, value: { kind: 'http', path: '/health' } });
    expect(parseCheckKind('http:/a/b?x=1')).toEqual({ ok: true, value: { kind: 'http', path: '/a/b?x=1' } });
    expect(parseCheckKind('tcp')).toEqual({ ok: true, value: { kind: 'tcp' } });
    expect(parseCheckKind('docker')).toEqual({ ok: true, value: { kind: 'docker' } });
    expect(parseCheckKind(' none ')).toEqual({ ok: true, value: { kind: 'none' } });
  });

  it('refuses anything else', () => {
    for (const text of ['', 'http', 'http:', 'http:health', 'http:/a b', 'grpc', 'TCP', 'script:/bin/true']) {
      expect(parseCheckKind(text).ok, text).toBe(false);
    }
  });

  it('durations and counts have bounds', () => {
    expect(parseSetting(checkIntervalSetting, '2s')).toEqual({ ok: true, value: 2_000 });
    expect(parseSetting(checkIntervalSetting, '250ms')).toEqual({ ok: true, value: 250 });
    expect(parseSetting(checkIntervalSetting, '3')).toEqual({ ok: true, value: 3_000 });
    expect(parseSetting(checkIntervalSetting, '50ms').ok).toBe(false);
    expect(parseSetting(checkIntervalSetting, '2h').ok).toBe(false);
    expect(parseSetting(checkIntervalSetting, 'soon').ok).toBe(false);
    expect(parseSetting(checkCountSetting, '1')).toEqual({ ok: true, value: 1 });
    expect(parseSetting(checkCountSetting, '0').ok).toBe(false);
    expect(parseSetting(checkCountSetting, '101').ok).toBe(false);
    expect(parseSetting(checkCountSetting, '1.5').ok).toBe(false);
  });

  it('describes checks as the record shows them', () => {
    expect(describeCheck('http', '/health')).toBe('http GET /health');
    expect(describeCheck('tcp')).toBe('tcp connect');
    expect(describeCheck('docker')).toBe('docker HEALTHCHECK');
    expect(describeCheck('none')).toBe('none');
  });
});
