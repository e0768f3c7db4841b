import { describe, expect, it } from 'vitest';
import { describeCheck, parseCheckDuration, parseCheckKind, parseCount } from './check-spec.js';

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
    expect(parseCheckDuration('2s', 100)).toEqual({ ok: true, value: 2_000 });
    expect(parseCheckDuration('250ms', 100)).toEqual({ ok: true, value: 250 });
    expect(parseCheckDuration('3', 100)).toEqual({ ok: true, value: 3_000 });
    expect(parseCheckDuration('50ms', 100).ok).toBe(false);
    expect(parseCheckDuration('2h', 100).ok).toBe(false);
    expect(parseCheckDuration('soon', 100).ok).toBe(false);
    expect(parseCount('1')).toEqual({ ok: true, value: 1 });
    expect(parseCount('0').ok).toBe(false);
    expect(parseCount('101').ok).toBe(false);
    expect(parseCount('1.5').ok).toBe(false);
  });

  it('describes checks as the record shows them', () => {
    expect(describeCheck('http', '/health')).toBe('http GET /health');
    expect(describeCheck('tcp')).toBe('tcp connect');
    expect(describeCheck('docker')).toBe('docker HEALTHCHECK');
    expect(describeCheck('none')).toBe('none');
  });
});
