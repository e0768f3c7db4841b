import { Duplex } from 'node:stream';
import { connect } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { peekClientHello } from './client-hello.js';

/** The ClientHello Node's own TLS client writes, captured in memory (no network). */
function clientHello(options: { servername?: string; ALPNProtocols?: string[] }): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let client: ReturnType<typeof connect> | undefined;
    const wire = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk);
        callback();
        client?.destroy();
        resolve(Buffer.concat(chunks));
      },
    });
    client = connect({ socket: wire, rejectUnauthorized: false, ...options });
    client.on('error', () => {});
  });
}

describe('peekClientHello', () => {
  it('reads SNI and ALPN from a real ClientHello, and waits for all of it', async () => {
    const hello = await clientHello({ servername: 'web.example.com', ALPNProtocols: ['acme-tls/1'] });
    expect(peekClientHello(hello)).toEqual({
      kind: 'client-hello',
      serverName: 'web.example.com',
      alpn: ['acme-tls/1'],
    });
    for (const cut of [1, 4, 5, 40, hello.length - 1])
      expect(peekClientHello(hello.subarray(0, cut))).toEqual({ kind: 'incomplete' });
  });

  it('reads a ClientHello split across two records', async () => {
    const hello = await clientHello({ servername: 'a.test', ALPNProtocols: ['h2', 'http/1.1'] });
    const body = hello.subarray(5);
    const record = (payload: Buffer) =>
      Buffer.concat([Buffer.from([0x16, 0x03, 0x01, payload.length >> 8, payload.length & 0xff]), payload]);
    const split = Buffer.concat([record(body.subarray(0, 30)), record(body.subarray(30))]);
    expect(peekClientHello(split)).toEqual({
      kind: 'client-hello',
      serverName: 'a.test',
      alpn: ['h2', 'http/1.1'],
    });
  });

  it('tells plain HTTP and garbage apart without throwing', async () => {
    expect(peekClientHello(Buffer.from('GET / HTTP/1.1\r\n'))).toEqual({ kind: 'plain-http' });
    expect(peekClientHello(Buffer.from('GE'))).toEqual({ kind: 'incomplete' });
    expect(peekClientHello(Buffer.from('\x00\x01garbage'))).toEqual({ kind: 'other' });
    expect(peekClientHello(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x00]))).toEqual({ kind: 'other' });
    const hello = await clientHello({ servername: 'x.test' });
    // Every truncation of the body inside a complete record: never a throw.
    for (let cut = 10; cut < hello.length; cut += 7) {
      const body = hello.subarray(5, cut);
      const record = Buffer.concat([
        Buffer.from([0x16, 0x03, 0x01, body.length >> 8, body.length & 0xff]),
        body,
      ]);
      expect(() => peekClientHello(record)).not.toThrow();
    }
    const noSni = await clientHello({});
    expect(peekClientHello(noSni)).toMatchObject({ kind: 'client-hello', serverName: undefined });
  });
});
