import { describe, expect, it } from 'vitest';
import { cidrList, loadEdgeConfig } from './edge-config.js';

describe('loadEdgeConfig', () => {
  it('has documented defaults', () => {
    const config = loadEdgeConfig({});
    expect(config).toMatchObject({
      listen: { host: '0.0.0.0', port: 8080 },
      adminListen: { host: '127.0.0.1', port: 9090 },
      workers: 1,
      trustedProxies: [],
      headersTimeoutMs: 10_000,
      idleTimeoutMs: 60_000,
      upstreamTimeoutMs: 60_000,
      shutdownGraceMs: 10_000,
      allowLinkLocal: false,
      ejectionMs: 10_000,
      dataplane: 'builtin',
      healthListen: undefined,
      zone: undefined,
      routeGraceMs: 30_000,
      connectTimeoutMs: 1_000,
      routeWaitMs: 10_000,
      accessLog: 'off',
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads every variable', () => {
    const config = loadEdgeConfig({
      WHARF_LISTEN: '127.0.0.1:18080',
      WHARF_ADMIN_LISTEN: ':19090',
      WHARF_WORKERS: '4',
      WHARF_TRUSTED_PROXIES: '10.0.0.0/8, ::1/128,192.168.1.1',
      WHARF_HEADERS_TIMEOUT: '5s',
      WHARF_IDLE_TIMEOUT: '30s',
      WHARF_UPSTREAM_TIMEOUT: '500ms',
      WHARF_SHUTDOWN_GRACE: '1m',
      WHARF_ALLOW_LINK_LOCAL: 'true',
      WHARF_DATAPLANE: 'haproxy',
      WHARF_HEALTH_LISTEN: ':8081',
      WHARF_ZONE: 'eu-1a',
      WHARF_ROUTE_GRACE: '0',
      WHARF_CONNECT_TIMEOUT: '1500ms',
      WHARF_ROUTE_WAIT: '3s',
      WHARF_ACCESS_LOG: 'stdout',
    });
    expect(config).toMatchObject({
      dataplane: 'haproxy',
      healthListen: { host: '0.0.0.0', port: 8081 },
      zone: 'eu-1a',
      routeGraceMs: 0,
      connectTimeoutMs: 1_500,
      routeWaitMs: 3_000,
      accessLog: 'stdout',
      listen: { host: '127.0.0.1', port: 18080 },
      adminListen: { host: '127.0.0.1', port: 19090 },
      workers: 4,
      trustedProxies: ['10.0.0.0/8', '::1/128', '192.168.1.1'],
      headersTimeoutMs: 5_000,
      idleTimeoutMs: 30_000,
      upstreamTimeoutMs: 500,
      shutdownGraceMs: 60_000,
      allowLinkLocal: true,
    });
    const list = cidrList(config.trustedProxies);
    expect(list.check('10.9.8.7', 'ipv4')).toBe(true);
    expect(list.check('11.0.0.1', 'ipv4')).toBe(false);
    expect(list.check('::1', 'ipv6')).toBe(true);
    expect(list.check('192.168.1.1', 'ipv4')).toBe(true);
  });

  it.each([
    ['WHARF_WORKERS', '0'],
    ['WHARF_WORKERS', 'many'],
    ['WHARF_TRUSTED_PROXIES', '10.0.0.0/33'],
    ['WHARF_TRUSTED_PROXIES', 'example.com'],
    ['WHARF_HEADERS_TIMEOUT', 'soon'],
    ['WHARF_UPSTREAM_TIMEOUT', '0'],
    ['WHARF_LISTEN', 'nowhere'],
    ['WHARF_ALLOW_LINK_LOCAL', 'maybe'],
    ['WHARF_DATAPLANE', 'nginx'],
    ['WHARF_ZONE', 'eu 1a'],
    ['WHARF_ROUTE_GRACE', 'forever'],
  ])('refuses %s=%s naming the variable', (variable, value) => {
    expect(() => loadEdgeConfig({ [variable]: value })).toThrow(
      expect.objectContaining({ code: 'WHARF_CONFIG_INVALID', variable }),
    );
  });
});
