import { describe, expect, it } from 'vitest';
import { readCliConfig } from './cli-config.js';
import { describeEtcdFailure } from './etcd-session.js';

describe('readCliConfig', () => {
  it('lays flags over the environment under the agents variable names', () => {
    const config = readCliConfig(
      { etcd: 'http://a:2379,http://b:2379', prefix: '/other' },
      { WHARF_ETCD: 'http://ignored:1', WHARF_ETCD_USERNAME: 'u', WHARF_ETCD_PASSWORD: 'p' },
    );
    expect(config.etcd.endpoints).toEqual(['http://a:2379', 'http://b:2379']);
    expect(config.etcd.username).toBe('u');
    expect(config.layout.root).toBe('/other/');
    expect(config.log.level).toBe('warn');
  });

  it('names the variable and the flag that set a bad value', () => {
    try {
      readCliConfig({ etcd: 'tcp://x' }, {});
      expect.unreachable();
    } catch (error) {
      expect((error as { code: string }).code).toBe('WHARF_CONFIG_INVALID');
      expect((error as Error).message).toMatch(/^WHARF_ETCD="tcp:\/\/x" is invalid: .*\(set by --etcd\)$/);
    }
    expect(() => readCliConfig({}, { WHARF_PREFIX: 'relative' })).toThrow(/^WHARF_PREFIX="relative"/);
    expect(() => readCliConfig({ username: 'u' }, {})).toThrow(/WHARF_ETCD_PASSWORD/);
  });
});

describe('describeEtcdFailure', () => {
  it('keeps the useful part of gRPC messages', () => {
    expect(
      describeEtcdFailure(
        new Error(
          '14 UNAVAILABLE: No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1. Resolution note: ',
        ),
      ),
    ).toBe('UNAVAILABLE: No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1');
    expect(describeEtcdFailure(new Error('4 DEADLINE_EXCEEDED: Deadline exceeded'))).toMatch(
      /^no answer within 3s/,
    );
  });
});
