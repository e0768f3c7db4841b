import { describe, expect, it } from 'vitest';
import { downstreamResponseHeaders, peerAddress, upstreamRequestHeaders } from './forwarded-headers.js';

const base = { peer: '10.1.1.1', host: 'web.test', proto: 'http' as const, requestId: 'rid-1' };

describe('header passes', () => {
  it('HTTP/2: pseudo-headers stay behind and :authority becomes Host', () => {
    const out = upstreamRequestHeaders(
      { ':method': 'GET', ':path': '/', ':scheme': 'https', ':authority': 'web.test:8443', accept: '*/*' },
      { ...base, host: 'web.test:8443', proto: 'https', trusted: false },
    );
    expect(out).toEqual({
      accept: '*/*',
      host: 'web.test:8443',
      'x-forwarded-for': '10.1.1.1',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'web.test:8443',
      'x-request-id': 'rid-1',
    });
  });

  it('removes hop-by-hop headers and those named in Connection', () => {
    const out = upstreamRequestHeaders(
      {
        host: 'web.test',
        connection: 'keep-alive, X-Secret',
        'keep-alive': 'timeout=5',
        'proxy-authorization': 'Basic x',
        'proxy-connection': 'keep-alive',
        te: 'trailers',
        trailer: 'x',
        upgrade: 'h2c',
        'x-secret': 'leak',
        accept: 'text/html',
      },
      { ...base, trusted: false },
    );
    expect(out).toEqual({
      host: 'web.test',
      accept: 'text/html',
      'x-forwarded-for': '10.1.1.1',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'web.test',
      'x-request-id': 'rid-1',
    });
  });

  it('never lets Connection remove Host or the headers that frame the body', () => {
    const out = upstreamRequestHeaders(
      {
        host: 'web.test',
        connection: 'Content-Length, HOST , transfer-encoding, x-gone',
        'content-length': '74',
        'x-gone': '1',
      },
      { ...base, trusted: false },
    );
    expect(out).toMatchObject({ host: 'web.test', 'content-length': '74' });
    expect(out['x-gone']).toBeUndefined();
  });

  it('drops HTTP2-Settings (an h2c upgrade is never forwarded)', () => {
    const out = upstreamRequestHeaders(
      { host: 'web.test', 'http2-settings': 'AAMAAABk' },
      { ...base, trusted: false },
    );
    expect(out['http2-settings']).toBeUndefined();
  });

  it('replaces X-Forwarded-* from untrusted peers and appends for trusted ones', () => {
    const incoming = {
      host: 'web.test',
      'x-forwarded-for': '1.2.3.4',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'public.example',
      forwarded: 'for=1.2.3.4',
      'x-request-id': 'upstream-id',
    };
    const untrusted = upstreamRequestHeaders(incoming, { ...base, trusted: false });
    expect(untrusted['x-forwarded-for']).toBe('10.1.1.1');
    expect(untrusted['x-forwarded-proto']).toBe('http');
    expect(untrusted['x-forwarded-host']).toBe('web.test');
    expect(untrusted.forwarded).toBeUndefined();
    expect(untrusted['x-request-id']).toBe('rid-1');
    const trusted = upstreamRequestHeaders(incoming, { ...base, trusted: true });
    expect(trusted['x-forwarded-for']).toBe('1.2.3.4, 10.1.1.1');
    expect(trusted['x-forwarded-proto']).toBe('https');
    expect(trusted['x-forwarded-host']).toBe('public.example');
    expect(trusted['x-request-id']).toBe('upstream-id');
  });

  it('leaves the framing and the connection to the upstream client (undici refuses them)', () => {
    const ws = upstreamRequestHeaders(
      { host: 'a', connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': 'k' },
      { ...base, trusted: false },
    );
    expect(ws).toMatchObject({ host: 'a', 'sec-websocket-key': 'k' });
    expect(ws.connection).toBeUndefined();
    expect(ws.upgrade).toBeUndefined();
    const chunked = upstreamRequestHeaders(
      { host: 'a', 'transfer-encoding': 'chunked', expect: '100-continue' },
      { ...base, trusted: false },
    );
    expect(chunked['transfer-encoding']).toBeUndefined();
    expect(chunked.expect).toBeUndefined();
  });

  it('strips hop-by-hop headers from responses', () => {
    expect(
      downstreamResponseHeaders({
        connection: 'close, x-internal',
        'keep-alive': 'timeout=5',
        'transfer-encoding': 'chunked',
        'x-internal': '1',
        'set-cookie': ['a=1', 'b=2'],
        'content-type': 'text/plain',
      }),
    ).toEqual({ 'set-cookie': ['a=1', 'b=2'], 'content-type': 'text/plain' });
  });

  it('unwraps IPv4-mapped peers', () => {
    expect(peerAddress('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(peerAddress('::1')).toBe('::1');
    expect(peerAddress(undefined)).toBe('');
  });
});
