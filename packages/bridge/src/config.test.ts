import { ConfigError } from '@wharf/core';
import { describe, expect, it } from 'vitest';
import { loadBridgeConfig } from './config.js';

function configError(env: Record<string, string>): ConfigError {
  try {
    loadBridgeConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadBridgeConfig', () => {
  it('defaults to host mode, explicit, TTL 10 s', () => {
    const config = loadBridgeConfig({});
    expect(config).toMatchObject({
      mode: 'host',
      target: undefined,
      node: undefined,
      hostIp: undefined,
      internal: false,
      network: undefined,
      ttlSeconds: 10,
      explicit: true,
      bridgeId: undefined,
      overrides: {},
    });
    expect(config.etcd.endpoints).toEqual(['http://127.0.0.1:2379']);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads sidecar mode and its per-container settings', () => {
    const config = loadBridgeConfig({
      WHARF_TARGET: '/web-1',
      WHARF_NODE: 'host1',
      WHARF_HOST_IP: '10.0.0.5',
      WHARF_TTL: '3s',
      WHARF_SERVICE: 'web',
      WHARF_HTTP_HOST: 'web.example.com',
      WHARF_CHECK: 'http:/health',
      WHARF_WEIGHT: '2',
      WHARF_INTERNAL: 'true',
      WHARF_NETWORK: 'front',
    });
    expect(config).toMatchObject({
      mode: 'sidecar',
      target: 'web-1',
      node: 'host1',
      hostIp: '10.0.0.5',
      ttlSeconds: 3,
      internal: true,
      network: 'front',
      overrides: {
        'wharf.service': 'web',
        'wharf.http.host': 'web.example.com',
        'wharf.check': 'http:/health',
        'wharf.weight': '2',
      },
    });
  });

  it('reads DOCKER_HOST as the docker CLI does', () => {
    expect(loadBridgeConfig({}).docker).toEqual({ socketPath: '/var/run/docker.sock' });
    expect(loadBridgeConfig({ DOCKER_HOST: 'unix:///run/user/1000/docker.sock' }).docker).toEqual({
      socketPath: '/run/user/1000/docker.sock',
    });
    expect(loadBridgeConfig({ DOCKER_HOST: 'tcp://10.0.0.2' }).docker).toEqual({
      host: '10.0.0.2',
      port: 2375,
    });
    expect(loadBridgeConfig({ DOCKER_HOST: 'tcp://[::1]:2380' }).docker).toEqual({ host: '::1', port: 2380 });
  });

  it('names the variable of a bad value', () => {
    const cases: [string, Record<string, string>][] = [
      ['WHARF_TTL', { WHARF_TTL: 'soon' }],
      ['WHARF_TTL', { WHARF_TTL: '1500ms' }],
      ['WHARF_TTL', { WHARF_TTL: '0' }],
      ['WHARF_HOST_IP', { WHARF_HOST_IP: 'my-host' }],
      ['WHARF_NODE', { WHARF_NODE: 'a/b' }],
      ['WHARF_BRIDGE_ID', { WHARF_BRIDGE_ID: 'x y' }],
      ['WHARF_TARGET', { WHARF_TARGET: 'no spaces' }],
      ['WHARF_INTERNAL', { WHARF_INTERNAL: 'perhaps' }],
      ['WHARF_EXPLICIT', { WHARF_EXPLICIT: '2' }],
      ['WHARF_CHECK', { WHARF_TARGET: 'web', WHARF_CHECK: 'grpc' }],
      ['WHARF_WEIGHT', { WHARF_TARGET: 'web', WHARF_WEIGHT: 'x' }],
      ['WHARF_PORT', { WHARF_TARGET: 'web', WHARF_PORT: 'http' }],
      ['WHARF_CHECK_INTERVAL', { WHARF_TARGET: 'web', WHARF_CHECK_INTERVAL: 'often' }],
      ['WHARF_SERVICE', { WHARF_SERVICE: 'web' }],
      ['WHARF_ETCD', { WHARF_ETCD: 'localhost:2379' }],
      ['DOCKER_HOST', { DOCKER_HOST: 'ssh://me@host' }],
      [
        'DOCKER_CERT_PATH',
        { DOCKER_HOST: 'tcp://docker:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/nonexistent' },
      ],
    ];
    for (const [variable, env] of cases) {
      const error = configError(env);
      expect(error.code).toBe('WHARF_CONFIG_INVALID');
      expect(error.variable, JSON.stringify(env)).toBe(variable);
      expect(error.message).not.toContain('\n');
    }
  });
});
