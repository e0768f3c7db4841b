import { describe, expect, it } from 'vitest';
import { endpointRecord } from '../../../test/support/records.js';
import { decodeEndpointRecord, decodeRouteRecord, encodeRecord, MAX_RECORD_BYTES } from './records.js';

const valid = endpointRecord({
  service: 'web',
  id: 'host1:web-1:8080',
  address: '10.0.0.5',
  port: 32768,
  node: 'host1',
  bridge: 'host1-bridge',
  container: { id: 'a'.repeat(64), name: 'web-1', image: 'acme/web:1.4' },
  tags: ['zone=eu-1a'],
  routes: [{ host: 'Web.Example.com.', pathPrefix: '/' }],
  health: { check: 'http GET /health', status: 'passing', since: '2026-01-01T00:00:00.000Z' },
  registeredAt: '2026-01-01T00:00:00.000Z',
});
const decode = (value: unknown) => decodeEndpointRecord(Buffer.from(JSON.stringify(value)));
const codeOf = (value: unknown) => {
  const result = decode(value);
  return result.ok ? 'ok' : result.error.code;
};

describe('endpoint records', () => {
  it('decodes the documented record and normalises route hosts', () => {
    const result = decode(valid);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.record.routes[0]).toEqual({ host: 'web.example.com', pathPrefix: '/' });
  });

  it('fills defaults for optional fields', () => {
    const { tags, weight, routes, container, health, ...minimal } = valid;
    const result = decode(minimal);
    expect(result.ok && [result.record.weight, result.record.tags, result.record.routes]).toEqual([
      1,
      [],
      [],
    ]);
  });

  it.each([
    '2852039166',
    '0xa9fea9fe',
    '169.254.43518',
    '0251.0376.0251.0376',
    'host.123',
  ])('refuses %s, an IPv4 address in a notation resolvers accept', (address) => {
    expect(codeOf({ ...valid, address })).toBe('WHARF_INVALID_RECORD');
  });

  it('accepts IPv6 and DNS addresses', () => {
    expect(codeOf({ ...valid, address: 'fd00::5' })).toBe('ok');
    expect(codeOf({ ...valid, address: 'web-1.internal' })).toBe('ok');
  });

  it.each([
    ['a port out of range', { port: 70_000 }],
    ['a negative port', { port: -1 }],
    ['a fractional weight', { weight: 1.5 }],
    ['an unknown state', { state: 'up' }],
    ['a URL as address', { address: 'http://10.0.0.5' }],
    ['an address with a port', { address: '10.0.0.5:80' }],
    ['a service with a slash', { service: 'a/b' }],
    ['a route host with a space', { routes: [{ host: 'a b', pathPrefix: '/' }] }],
    ['a path without a leading slash', { routes: [{ host: 'a.test', pathPrefix: 'api' }] }],
    ['a string port', { port: '80' }],
  ])('refuses %s', (_name, patch) => {
    expect(codeOf({ ...valid, ...patch })).toBe('WHARF_INVALID_RECORD');
  });

  it('reports unknown versions separately, so readers can skip newer records quietly', () => {
    expect(codeOf({ ...valid, v: 2 })).toBe('WHARF_UNKNOWN_VERSION');
    expect(codeOf({ ...valid, v: undefined })).toBe('WHARF_UNKNOWN_VERSION');
  });

  it('refuses non-objects, bad JSON and oversized values without parsing them', () => {
    expect(decodeEndpointRecord(Buffer.from('[1]')).ok).toBe(false);
    expect(decodeEndpointRecord(Buffer.from('{')).ok).toBe(false);
    expect(decodeEndpointRecord(Buffer.from('null')).ok).toBe(false);
    const huge = decodeEndpointRecord(Buffer.alloc(MAX_RECORD_BYTES + 1, 0x20));
    expect(!huge.ok && huge.error.code).toBe('WHARF_INVALID_RECORD');
  });

  it('encodes deterministically', () => {
    expect(encodeRecord({ a: 1, b: [1] })).toBe('{"a":1,"b":[1]}');
  });
});

describe('route records', () => {
  it('decodes an operator route with a default path', () => {
    const result = decodeRouteRecord(Buffer.from('{"v":1,"host":"API.test","service":"api"}'));
    expect(result.ok && result.record).toEqual({ v: 1, host: 'api.test', pathPrefix: '/', service: 'api' });
  });
});
