import { describe, expect, it } from 'vitest';
import { normaliseHost } from './host-name.js';

describe('normaliseHost', () => {
  it('lowercases and strips the port and one trailing dot', () => {
    expect(normaliseHost('Web.Example.COM')).toBe('web.example.com');
    expect(normaliseHost('web.example.com:8080')).toBe('web.example.com');
    expect(normaliseHost('web.example.com.')).toBe('web.example.com');
    expect(normaliseHost('web.example.com.:80')).toBe('web.example.com');
    expect(normaliseHost('127.0.0.1:8080')).toBe('127.0.0.1');
    expect(normaliseHost('[::1]:8080')).toBe('[::1]');
    expect(normaliseHost('[FE80::1]')).toBe('[fe80::1]');
  });

  it('refuses missing and malformed values', () => {
    for (const bad of [
      undefined,
      '',
      ' ',
      'a b',
      'web.example.com:',
      'web.example.com:x',
      'a..b',
      '.',
      'a/b',
      'a@b',
      '[::1',
      '[::1]x',
      'http://a',
    ]) {
      expect(normaliseHost(bad), String(bad)).toBeUndefined();
    }
    expect(normaliseHost('a'.repeat(300))).toBeUndefined();
  });
});
