import { describe, expect, it } from 'vitest';
import { loadCommonConfig } from './common-config.js';
import { ConfigReader } from './config-reader.js';

const reader = (env: Record<string, string>) => new ConfigReader(env);
const failure = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return error as { code: string; message: string; variable: string };
  }
  throw new Error('expected a failure');
};

describe('ConfigReader', () => {
  it('reads typed values with fallbacks', () => {
    const env = reader({ A: ' x ', B: 'yes', C: '42', D: '250ms', E: 'a, b,,c', F: ':8080', G: '' });
    expect(env.string('A')).toBe('x');
    expect(env.string('G', 'fallback')).toBe('fallback');
    expect(env.boolean('B', false)).toBe(true);
    expect(env.integer('C', 0, { max: 100 })).toBe(42);
    expect(env.duration('D', 0)).toBe(250);
    expect(env.list('E')).toEqual(['a', 'b', 'c']);
    expect(env.listenAddress('F', '')).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(env.listenAddress('X', '[::1]:9090')).toEqual({ host: '::1', port: 9090 });
  });

  it('fails with one line naming the variable, the value and what is expected', () => {
    const error = failure(() => reader({ WHARF_TTL: 'soon' }).duration('WHARF_TTL', 10_000));
    expect(error.code).toBe('WHARF_CONFIG_INVALID');
    expect(error.variable).toBe('WHARF_TTL');
    expect(error.message).toMatch(/^WHARF_TTL="soon" is invalid: expected a duration/);
    expect(error.message).not.toContain('\n');
    expect(failure(() => reader({ N: '1.5' }).integer('N', 1)).code).toBe('WHARF_CONFIG_INVALID');
    expect(failure(() => reader({ B: 'maybe' }).boolean('B', true)).variable).toBe('B');
    expect(failure(() => reader({ L: 'nope' }).listenAddress('L', '')).variable).toBe('L');
  });
});

describe('common config', () => {
  it('has working defaults', () => {
    const config = loadCommonConfig({});
    expect(config.etcd.endpoints).toEqual(['http://127.0.0.1:2379']);
    expect(config.layout.root).toBe('/wharf/');
    expect(config.log).toEqual({ level: 'info', format: 'json' });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('names the variable that is wrong', () => {
    expect(failure(() => loadCommonConfig({ WHARF_ETCD: 'etcd:2379' })).variable).toBe('WHARF_ETCD');
    expect(failure(() => loadCommonConfig({ WHARF_ETCD_USERNAME: 'bridge' })).variable).toBe(
      'WHARF_ETCD_PASSWORD',
    );
    expect(failure(() => loadCommonConfig({ WHARF_ETCD_CA: '/nonexistent/ca.pem' })).variable).toBe(
      'WHARF_ETCD_CA',
    );
    expect(failure(() => loadCommonConfig({ WHARF_PREFIX: 'wharf' })).variable).toBe('WHARF_PREFIX');
    expect(failure(() => loadCommonConfig({ LOG_LEVEL: 'loud' })).variable).toBe('LOG_LEVEL');
    expect(failure(() => loadCommonConfig({ LOG_FORMAT: 'xml' })).variable).toBe('LOG_FORMAT');
  });
});
