import { describe, expect, it } from 'vitest';
import { parseHaproxyAccessLine } from './haproxy-access-line.js';

describe('parseHaproxyAccessLine', () => {
  it('reads a proxied request', () => {
    expect(
      parseHaproxyAccessLine(
        '1796012731.085 127.0.0.1 GET "web.test" 200 325 20 300 339 p0 n1:web:80 +1 ab12cd34-1F /x?q=1',
      ),
    ).toEqual({
      time: new Date(1796012731085).toISOString(),
      client: '127.0.0.1',
      method: 'GET',
      host: 'web.test',
      path: '/x?q=1',
      status: 200,
      bytes: 20,
      durationMs: 339,
      endpoint: 'n1:web:80',
      retries: 1,
      requestId: 'ab12cd34-1F',
    });
  });

  it('reads an answer of the edge itself, with the refused host as sent', () => {
    expect(
      parseHaproxyAccessLine(
        '1796012731.487 ::1 GET "bad \\"host\\"" 400 229 - - 0 wharf_host <NOSRV> 0 ab12cd34-5 /x',
      ),
    ).toMatchObject({ client: '::1', host: 'bad "host"', endpoint: null, status: 400, retries: 0 });
    expect(
      parseHaproxyAccessLine('1796012731.487 ::1 GET "-" 400 229 - - 0 wharf_host <NOSRV> 0 ab-5 /'),
    ).toMatchObject({
      host: '',
    });
  });

  it('counts body bytes: the declared length, else what was sent minus the head', () => {
    // 200 sent, no Content-Length (chunked), a 60-byte header block: 200 - 17 - 60.
    expect(
      parseHaproxyAccessLine('1796012731.085 10.0.0.1 GET "a.test" 200 200 - 60 3 p0 n1:a:80 0 ab-6 /')
        ?.bytes,
    ).toBe(123);
  });

  it('skips HAProxy notices and the hand-over hop of a held request', () => {
    expect(parseHaproxyAccessLine('Proxy wharf stopped (cumulated conns: FE: 4, BE: 0).')).toBeUndefined();
    expect(
      parseHaproxyAccessLine(
        '1796012731.487 10.0.0.1 GET "a.test" 200 229 4 100 5 wharf_handover handover 0 ab-5 /',
      ),
    ).toBeUndefined();
  });
});
