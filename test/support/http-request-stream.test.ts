import { describe, expect, it } from 'vitest';
import { readRequestStream } from './http-request-stream.js';
import { readResponses } from './http-responses.js';

describe('readRequestStream: the strict reading hostile-HTTP verdicts are measured against', () => {
  it('reads pipelined requests, their bodies and where each starts', () => {
    const first = 'POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello';
    const second = 'GET /b HTTP/1.1\r\nHost: h\r\n\r\n';
    const reading = readRequestStream(`${first}\r\n${second}`);
    expect(reading.stop).toBeUndefined();
    expect(reading.starts).toEqual([0, first.length + 2]);
    expect(reading.requests.map((request) => [request.method, request.target, request.body])).toEqual([
      ['POST', '/a', 'hello'],
      ['GET', '/b', ''],
    ]);
  });

  it('decodes chunked bodies with extensions and trailers', () => {
    const reading = readRequestStream(
      'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n1 ; c="d;e"\r\n!\r\n0\r\nX: y\r\n\r\nGET /next HTTP/1.1\r\n\r\n',
    );
    expect(reading.stop).toBeUndefined();
    expect(reading.requests.map((request) => request.body)).toEqual(['hello!', '']);
  });

  it('takes equal Content-Lengths, and a Transfer-Encoding list that ends in chunked', () => {
    expect(
      readRequestStream('POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1, 1\r\n\r\nZ').stop,
    ).toBeUndefined();
    expect(
      readRequestStream('POST / HTTP/1.1\r\nTransfer-Encoding: gzip, ,chunked\r\n\r\n0\r\n\r\n').stop,
    ).toBeUndefined();
  });

  it.each([
    [
      'Content-Length with Transfer-Encoding',
      'POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    ],
    ['conflicting Content-Lengths', 'POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nZZ'],
    ['a Content-Length that is not digits', 'POST / HTTP/1.1\r\nContent-Length: +1\r\n\r\nZ'],
    ['chunked twice', 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n'],
    ['chunked not last', 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n'],
    ['Transfer-Encoding in HTTP/1.0', 'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
    ['whitespace before the colon of Content-Length', 'GET / HTTP/1.1\r\nContent-Length : 0\r\n\r\n'],
    [
      'a byte in the name Transfer-Encoding',
      'POST / HTTP/1.1\r\nTransfer-Encoding\x85: chunked\r\n\r\n0\r\n\r\n',
    ],
    ['obs-fold', 'GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n'],
    ['a bare LF', 'GET / HTTP/1.1\nHost: h\r\n\r\n'],
    ['a bare CR', 'GET / HTTP/1.1\r\nX: a\rb\r\n\r\n'],
    ['NUL in a value', 'GET / HTTP/1.1\r\nX: a\u0000b\r\n\r\n'],
    ['an invalid chunk size', 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0x1\r\nZ\r\n0\r\n\r\n'],
    [
      'chunk data without its CRLF',
      'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nZZ\r\n0\r\n\r\n',
    ],
    ['HTTP/2.0', 'GET / HTTP/2.0\r\n\r\n'],
    ['HTTP/0.9', 'GET /\r\n\r\n'],
  ])('stops at %s, and no request after it counts', (_name, bytes) => {
    const reading = readRequestStream(`${bytes}GET /after HTTP/1.1\r\n\r\n`);
    expect(reading.stop).toMatchObject({ incomplete: false });
    expect(reading.starts).toEqual([0]);
  });

  it('skips a field line that is no field and frames nothing', () => {
    const reading = readRequestStream(
      'GET / HTTP/1.1\r\nUser\xa0Agent : x\r\nno colon\r\n\r\nGET /b HTTP/1.1\r\n\r\n',
    );
    expect(reading.stop).toBeUndefined();
    expect(reading.requests.map((request) => request.headers)).toEqual([[], []]);
  });

  it('tells bytes that end mid-message from bytes no strict reader accepts', () => {
    expect(readRequestStream('POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nshort').stop).toMatchObject({
      incomplete: true,
    });
    expect(readRequestStream('GET / HTTP/1.1\r\nHost: h\r\n').stop).toMatchObject({ incomplete: true });
    expect(
      readRequestStream('POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhe').stop,
    ).toMatchObject({
      incomplete: true,
    });
  });

  it('after CONNECT, what follows is a tunnel', () => {
    const reading = readRequestStream('CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\nGET / HTTP/1.1\r\n\r\n');
    expect(reading.starts).toEqual([0]);
    expect(reading.stop?.reason).toBe('CONNECT');
  });
});

describe('readResponses: when a hostile-HTTP client can stop waiting', () => {
  it('reads framed responses and knows when they are complete', () => {
    const chunked = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n';
    const sized = 'HTTP/1.1 400 Bad Request\r\nContent-Length: 2\r\n\r\nno';
    expect(readResponses(chunked + sized)).toEqual({ statuses: [200, 400], complete: true });
    expect(readResponses(sized.slice(0, -1))).toEqual({ statuses: [400], complete: false });
    expect(readResponses('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n')).toEqual({
      statuses: [100, 204],
      complete: true,
    });
  });

  it('stops at a 101, and does not guess the length of an unframed body', () => {
    expect(readResponses('HTTP/1.1 101 Switching Protocols\r\n\r\n\u0000\u0001')).toEqual({
      statuses: [101],
      complete: true,
    });
    expect(readResponses('HTTP/1.0 200 OK\r\n\r\nuntil the close')).toEqual({
      statuses: [200],
      complete: false,
    });
    expect(readResponses('garbage')).toEqual({ statuses: [], complete: false });
  });
});
