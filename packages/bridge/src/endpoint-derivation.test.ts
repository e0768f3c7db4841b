import { LabelError } from '@wharf/core';
import { describe, expect, it } from 'vitest';
import type { ContainerFacts } from './container-facts.js';
import { type DeriveContext, deriveEndpoints } from './endpoint-derivation.js';

const facts = (overrides: Partial<ContainerFacts> = {}): ContainerFacts => ({
  id: 'a'.repeat(64),
  name: 'web-1',
  image: 'acme/web:1.4',
  labels: {},
  env: [],
  running: true,
  ports: [{ privatePort: 8080, protocol: 'tcp', bindings: [{ hostIp: '0.0.0.0', hostPort: 32768 }] }],
  networks: [{ name: 'bridge', ip: '172.17.0.5' }],
  health: undefined,
  ...overrides,
});

const context = (overrides: Partial<DeriveContext> = {}): DeriveContext => ({
  node: 'host1',
  hostIp: '10.0.0.5',
  hostIpExplicit: false,
  internal: false,
  network: undefined,
  explicit: false,
  overrides: {},
  ...overrides,
});

function labelError(run: () => unknown): LabelError {
  try {
    run();
  } catch (error) {
    if (error instanceof LabelError) return error;
    throw error;
  }
  throw new Error('expected a LabelError');
}

describe('deriveEndpoints', () => {
  it('defaults: image base name, host IP + published port, tcp check, weight 1', () => {
    const { endpoints } = deriveEndpoints(facts(), context());
    expect(endpoints).toHaveLength(1);
    expect(endpoints[0]).toMatchObject({
      service: 'web',
      instanceId: 'host1:web-1:8080',
      address: '10.0.0.5',
      port: 32768,
      privatePort: 8080,
      protocol: 'tcp',
      container: { id: 'a'.repeat(64), name: 'web-1', image: 'acme/web:1.4' },
      tags: [],
      weight: 1,
      routes: [],
      check: {
        kind: 'tcp',
        intervalMs: 2_000,
        timeoutMs: 1_000,
        rise: 1,
        fall: 2,
        description: 'tcp connect',
      },
    });
  });

  it('reads every wharf.* label', () => {
    const labels = {
      'wharf.service': 'shop',
      'wharf.tags': 'zone=eu-1a, canary',
      'wharf.http.host': 'Shop.Example.com,www.example.com.',
      'wharf.http.path': '/api',
      'wharf.weight': '5',
      'wharf.check': 'http:/healthz',
      'wharf.check.interval': '500ms',
      'wharf.check.timeout': '200ms',
      'wharf.check.rise': '3',
      'wharf.check.fall': '4',
    };
    const [endpoint] = deriveEndpoints(facts({ labels }), context()).endpoints;
    expect(endpoint).toMatchObject({
      service: 'shop',
      protocol: 'http',
      tags: ['zone=eu-1a', 'canary'],
      weight: 5,
      routes: [
        { host: 'shop.example.com', pathPrefix: '/api' },
        { host: 'www.example.com', pathPrefix: '/api' },
      ],
      check: { kind: 'http', path: '/healthz', intervalMs: 500, timeoutMs: 200, rise: 3, fall: 4 },
    });
    expect(endpoint?.check.description).toBe('http GET /healthz');
  });

  it('wharf.tls, wharf.http.redirect and wharf.http.hsts ride on every route; unset ones are left out', () => {
    const labels = {
      'wharf.http.host': 'a.test,b.test',
      'wharf.tls': 'auto',
      'wharf.http.redirect': 'https',
    };
    const [endpoint] = deriveEndpoints(
      facts({ labels: { ...labels, 'wharf.http.hsts': '31536000' } }),
      context(),
    ).endpoints;
    expect(endpoint?.routes).toEqual([
      { host: 'a.test', pathPrefix: '/', tls: 'auto', redirect: 'https', hsts: 31_536_000 },
      { host: 'b.test', pathPrefix: '/', tls: 'auto', redirect: 'https', hsts: 31_536_000 },
    ]);
    const [plain] = deriveEndpoints(facts({ labels: { 'wharf.http.host': 'a.test' } }), context()).endpoints;
    expect(plain?.routes).toEqual([{ host: 'a.test', pathPrefix: '/' }]);
  });

  it('routes alone make the protocol http', () => {
    const [endpoint] = deriveEndpoints(
      facts({ labels: { 'wharf.http.host': 'a.test' } }),
      context(),
    ).endpoints;
    expect(endpoint?.protocol).toBe('http');
    expect(endpoint?.check.kind).toBe('tcp');
  });

  it('several published ports give one endpoint each, named <service>-<port> unless SERVICE_<port>_NAME', () => {
    const ports = [
      { privatePort: 8080, protocol: 'tcp' as const, bindings: [{ hostIp: '', hostPort: 1001 }] },
      { privatePort: 9090, protocol: 'tcp' as const, bindings: [{ hostIp: '', hostPort: 1002 }] },
      { privatePort: 9999, protocol: 'tcp' as const, bindings: [] },
    ];
    const { endpoints } = deriveEndpoints(facts({ ports, env: ['SERVICE_9090_NAME=metrics'] }), context());
    expect(endpoints.map((endpoint) => [endpoint.service, endpoint.instanceId, endpoint.port])).toEqual([
      ['web-8080', 'host1:web-1:8080', 1001],
      ['metrics', 'host1:web-1:9090', 1002],
    ]);
  });

  it('wharf.port picks ports; an unexposed or unpublished one is a LabelError naming label and value', () => {
    const ports = [
      { privatePort: 8080, protocol: 'tcp' as const, bindings: [{ hostIp: '', hostPort: 1001 }] },
      { privatePort: 9090, protocol: 'tcp' as const, bindings: [{ hostIp: '', hostPort: 1002 }] },
      { privatePort: 7000, protocol: 'tcp' as const, bindings: [] },
    ];
    const picked = deriveEndpoints(facts({ ports, labels: { 'wharf.port': '9090' } }), context()).endpoints;
    expect(picked.map((endpoint) => [endpoint.service, endpoint.port])).toEqual([['web', 1002]]);

    const missing = labelError(() =>
      deriveEndpoints(facts({ ports, labels: { 'wharf.port': '1234' } }), context()),
    );
    expect(missing).toMatchObject({ code: 'WHARF_LABEL_INVALID', label: 'wharf.port', value: '1234' });
    const unpublished = labelError(() =>
      deriveEndpoints(facts({ ports, labels: { 'wharf.port': '7000' } }), context()),
    );
    expect(unpublished).toMatchObject({ label: 'wharf.port', value: '7000' });
    // Internal mode reaches the container directly, so an exposed port is enough.
    const internal = deriveEndpoints(
      facts({ ports, labels: { 'wharf.port': '7000' } }),
      context({ internal: true }),
    );
    expect(internal.endpoints[0]).toMatchObject({ address: '172.17.0.5', port: 7000 });
  });

  it('rejects bad values with the label and value named', () => {
    const cases: [string, string][] = [
      ['wharf.check', 'grpc'],
      ['wharf.check', 'http:health'],
      ['wharf.check.interval', 'soon'],
      ['wharf.check.timeout', '-1s'],
      ['wharf.check.rise', '0'],
      ['wharf.check.fall', 'many'],
      ['wharf.service', 'has/slash'],
      ['wharf.service', 'has space'],
      ['wharf.weight', 'heavy'],
      ['wharf.weight', '10001'],
      ['wharf.http.host', 'not a host'],
      ['wharf.http.path', 'no-slash'],
      ['wharf.port', 'http'],
      ['wharf.ignore', 'maybe'],
      ['wharf.tls', 'yes'],
      ['wharf.http.redirect', 'http'],
      ['wharf.http.hsts', '1y'],
    ];
    for (const [label, value] of cases) {
      const error = labelError(() => deriveEndpoints(facts({ labels: { [label]: value } }), context()));
      expect({ label: error.label, value: error.value, code: error.code }).toEqual({
        label,
        value,
        code: 'WHARF_LABEL_INVALID',
      });
      expect(error.message).toContain(label);
    }
  });

  it('a timeout longer than the interval is refused', () => {
    const labels = { 'wharf.check.interval': '1s', 'wharf.check.timeout': '2s' };
    expect(labelError(() => deriveEndpoints(facts({ labels }), context()))).toMatchObject({
      label: 'wharf.check.timeout',
      value: '2s',
    });
  });

  it('the docker check needs a HEALTHCHECK', () => {
    const labels = { 'wharf.check': 'docker' };
    expect(labelError(() => deriveEndpoints(facts({ labels }), context()))).toMatchObject({
      label: 'wharf.check',
    });
    const [endpoint] = deriveEndpoints(facts({ labels, health: 'starting' }), context()).endpoints;
    expect(endpoint?.check).toMatchObject({ kind: 'docker', description: 'docker HEALTHCHECK' });
  });

  it('explicit mode skips containers without wharf.service or SERVICE_NAME; wharf.ignore skips', () => {
    expect(deriveEndpoints(facts(), context({ explicit: true }))).toMatchObject({ endpoints: [] });
    expect(
      deriveEndpoints(facts({ env: ['SERVICE_NAME=api'] }), context({ explicit: true })).endpoints,
    ).toHaveLength(1);
    const ignored = deriveEndpoints(
      facts({ labels: { 'wharf.service': 'x', 'wharf.ignore': 'true' } }),
      context(),
    );
    expect(ignored.endpoints).toEqual([]);
    expect(ignored.skipped).toMatch(/ignore/);
    expect(deriveEndpoints(facts({ env: ['SERVICE_IGNORE=1'] }), context()).endpoints).toEqual([]);
  });

  it('reads registrator env names when no label says otherwise', () => {
    const env = [
      'SERVICE_NAME=api',
      'SERVICE_TAGS=a,b',
      'SERVICE_CHECK_HTTP=/status',
      'SERVICE_CHECK_INTERVAL=5s',
      'PATH=/usr/bin',
    ];
    const [endpoint] = deriveEndpoints(facts({ env }), context()).endpoints;
    expect(endpoint).toMatchObject({
      service: 'api',
      tags: ['a', 'b'],
      protocol: 'http',
      check: { kind: 'http', path: '/status', intervalMs: 5_000 },
    });
    const labelled = deriveEndpoints(
      facts({ env, labels: { 'wharf.service': 'shop' } }),
      context(),
    ).endpoints;
    expect(labelled[0]?.service).toBe('shop');
    // A bad registrator value names the env variable.
    expect(
      labelError(() => deriveEndpoints(facts({ env: ['SERVICE_CHECK_INTERVAL=often'] }), context())),
    ).toMatchObject({ label: 'SERVICE_CHECK_INTERVAL', value: 'often' });
  });

  it('sidecar env wins over labels, which win over registrator env', () => {
    const result = deriveEndpoints(
      facts({
        labels: { 'wharf.service': 'from-label', 'wharf.weight': '2' },
        env: ['SERVICE_NAME=from-env'],
      }),
      context({ overrides: { 'wharf.service': 'from-sidecar', 'wharf.check': 'none' } }),
    );
    expect(result.endpoints[0]).toMatchObject({
      service: 'from-sidecar',
      weight: 2,
      check: { kind: 'none' },
    });
    const error = labelError(() =>
      deriveEndpoints(facts(), context({ overrides: { 'wharf.port': '1234' } })),
    );
    expect(error).toMatchObject({ label: 'WHARF_PORT', value: '1234' });
  });

  it('address: WHARF_HOST_IP wins; else a specific binding IP; else the detected host IP', () => {
    const ports = [
      { privatePort: 8080, protocol: 'tcp' as const, bindings: [{ hostIp: '127.0.0.1', hostPort: 40000 }] },
    ];
    expect(deriveEndpoints(facts({ ports }), context()).endpoints[0]?.address).toBe('127.0.0.1');
    expect(deriveEndpoints(facts({ ports }), context({ hostIpExplicit: true })).endpoints[0]?.address).toBe(
      '10.0.0.5',
    );
    expect(deriveEndpoints(facts(), context()).endpoints[0]?.address).toBe('10.0.0.5');
    // Docker's IPv6 twin of a binding is not preferred.
    const twin = [
      {
        privatePort: 8080,
        protocol: 'tcp' as const,
        bindings: [
          { hostIp: '::', hostPort: 40001 },
          { hostIp: '0.0.0.0', hostPort: 40000 },
        ],
      },
    ];
    expect(deriveEndpoints(facts({ ports: twin }), context()).endpoints[0]?.port).toBe(40000);
  });

  it('internal mode: container IP on WHARF_NETWORK (or the first network) and the private port', () => {
    const networks = [
      { name: 'front', ip: '172.20.0.2' },
      { name: 'back', ip: '172.21.0.2' },
    ];
    expect(deriveEndpoints(facts({ networks }), context({ internal: true })).endpoints[0]).toMatchObject({
      address: '172.20.0.2',
      port: 8080,
    });
    expect(
      deriveEndpoints(facts({ networks }), context({ internal: true, network: 'back' })).endpoints[0]
        ?.address,
    ).toBe('172.21.0.2');
    expect(
      labelError(() => deriveEndpoints(facts({ networks }), context({ internal: true, network: 'x' }))),
    ).toMatchObject({ label: 'WHARF_NETWORK', value: 'x' });
  });

  it('no published ports → nothing to publish, not an error', () => {
    const result = deriveEndpoints(facts({ ports: [] }), context());
    expect(result.endpoints).toEqual([]);
    expect(result.skipped).toBeDefined();
  });

  it('udp ports get a :udp instance id and no probe by default', () => {
    const ports = [{ privatePort: 53, protocol: 'udp' as const, bindings: [{ hostIp: '', hostPort: 5353 }] }];
    const [endpoint] = deriveEndpoints(facts({ ports }), context()).endpoints;
    expect(endpoint).toMatchObject({
      instanceId: 'host1:web-1:53:udp',
      protocol: 'udp',
      check: { kind: 'none' },
    });
  });
});
