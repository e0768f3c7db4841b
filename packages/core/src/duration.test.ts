import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.js';

describe('durations', () => {
  it('parses units and bare seconds', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('2s')).toBe(2_000);
    expect(parseDuration('1.5m')).toBe(90_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('10')).toBe(10_000);
  });

  it('refuses anything else', () => {
    for (const bad of ['', 's', '-1s', '1d', '1 s', 'abc', '1e3s'])
      expect(parseDuration(bad)).toBeUndefined();
  });

  it('formats in the largest whole unit', () => {
    expect(formatDuration(2_000)).toBe('2s');
    expect(formatDuration(250)).toBe('250ms');
    expect(formatDuration(90_000)).toBe('90s');
    expect(formatDuration(300_000)).toBe('5m');
    expect(formatDuration(3_600_000)).toBe('1h');
    expect(formatDuration(0)).toBe('0ms');
  });
});
