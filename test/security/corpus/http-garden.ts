import type { HostileCase, HostileFamily } from '../../support/hostile-case.js';

/**
 * The payloads of narfindustries' HTTP Garden (github.com/narfindustries/http-garden,
 * `TROPHIES.md`): server bugs, transducer (proxy) bugs and the bonus bugs that have a payload.
 * Every request target carries the case tag (`/` → `/{{id}}/`) unless the target itself is
 * the point; the Host of a request every reader sees is `{{host}}` (added, after the fields
 * that matter, to the payloads that have none, so the request is routable rather than refused
 * for lacking a Host); the Host of a request that only a buggy parser would find is
 * `{{canary}}`. Lengths that frame what follows (a trophy's literal `Content-Length: 34`) are
 * `{{rest}}`, recomputed for the tagged bytes. Payloads published more than once
 * are sent once, named after every trophy.
 *
 * Expectations, where exactly one outcome (or a few) is right:
 * - framing the message cannot be read from (invalid or conflicting Content-Length, an invalid
 *   chunk, a request line that is not one) → refused;
 * - whitespace between a field name and its colon → 400 (RFC 9112 §5.1);
 * - Content-Length with Transfer-Encoding → 400, this project's decision;
 * - Transfer-Encoding other than chunked → refused: 501 where a data plane checks the coding
 *   (as nginx does), 400 where it checks the framing first, 422 from HAProxy for a coding list
 *   it cannot parse; each is right;
 * - CR, LF or NUL in a field value, a field line that is not one, whitespace before the first
 *   field → refused, or the offending bytes removed or replaced (RFC 9110 §5.5, RFC 9112 §2.2):
 *   never forwarded unchanged.
 */

const REFUSED = { outcome: 'refused' } as const;
const BAD_REQUEST = { outcome: 'refused', statuses: [400] } as const;
const BAD_CODING = { outcome: 'refused', statuses: [400, 422, 501] } as const;
const NOT_UNCHANGED = { outcome: ['refused', 'normalised'] } as const;

interface Trophy {
  /** `server 1`, `transducer 9`, `bonus 3`… */
  readonly trophies: string;
  readonly payload: string | readonly string[];
  readonly expect?: HostileCase['expect'];
  readonly gadget?: HostileCase['gadget'];
}

const TROPHIES: readonly Trophy[] = [
  {
    trophies: 'server 1, server 22: chunk size 0_2e',
    payload:
      'GET /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\nTransfer-Encoding: chunked\r\n\r\n0_2e\r\n\r\nGET /{{id}}/ HTTP/1.1\r\nHost: {{canary}}\r\nContent-Length: 5\r\n\r\n0\r\n\r\n',
    expect: REFUSED,
  },
  {
    trophies: 'server 2: NUL and CR in a field value',
    payload: 'GET /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\nHeader: v\x00\ralue\r\n\r\n',
    expect: NOT_UNCHANGED,
    gadget: { name: 'Header', value: 'v\x00\ralue' },
  },
  {
    trophies: 'server 3: whitespace before the colon of Content-Length',
    payload:
      'GET /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\nContent-Length : {{rest}}\r\n\r\nGET /{{id}}/ HTTP/1.1\r\nHost: {{canary}}\r\n\r\n',
    expect: BAD_REQUEST,
  },
  {
    trophies: 'server 4: whitespace before the first field name',
    payload: 'GET /{{id}}/ HTTP/1.1\r\n\tContent-Length: 1\r\nHost: {{host}}\r\n\r\nX',
    expect: NOT_UNCHANGED,
    gadget: { name: '\tContent-Length', value: '1' },
  },
  {
    trophies: 'server 5: HTTP version 1.32',
    payload: 'GET /{{id}}/test HTTP/1.32\r\nHost: {{host}}\r\n\r\n',
    expect: REFUSED,
  },
  {
    trophies: 'server 6: a method that is no token',
    payload: 'G=":<>(e),[T];?" /{{id}}/get HTTP/1.1\r\nHost: {{host}}\r\n\r\n',
    expect: REFUSED,
  },
  { trophies: 'server 7: target "!"', payload: 'GET ! HTTP/1.1\r\nHost: {{host}}\r\n\r\n', expect: REFUSED },
  {
    trophies: 'server 8: obs-text in a field name',
    payload: 'GET /{{id}}/ HTTP/1.1\r\n\xefoo: bar\r\nHost: {{host}}\r\n\r\n',
    expect: NOT_UNCHANGED,
    gadget: { name: '\xefoo', value: 'bar' },
  },
  {
    trophies: 'server 9: LF between target and version',
    payload: 'GET /{{id}}/\nHTTP/1.1\r\nHost: {{host}}\r\n\r\n',
    expect: REFUSED,
  },
  {
    trophies: 'server 10: Content-Length +1_0',
    payload: 'GET /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\nContent-Length: +1_0\r\n\r\n0123456789',
    expect: BAD_REQUEST,
  },
  {
    trophies: 'server 11: Transfer-Encoding: chunked twice',
    payload:
      'POST /{{id}}/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\nHost: {{host}}\r\n\r\n1\r\nZ\r\n0\r\n\r\n',
    expect: BAD_CODING,
  },
  {
    trophies: 'server 12: \\xa0 around chunked',
    payload:
      'POST /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\nTransfer-Encoding: \xa0chunked\xa0\r\n\r\n0\r\n\r\n',
    expect: BAD_CODING,
  },
  {
    trophies: 'server 13: CR as a field line terminator',
    payload: 'GET /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\nVisible: :/\rSmuggled: :)\r\n\r\n',
    expect: NOT_UNCHANGED,
    gadget: { name: 'Smuggled', value: ':)' },
  },
  {
    trophies: 'server 14: controls and separators in a field name',
    payload:
      'GET /{{id}}/ HTTP/1.1\r\n\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\x0b\x0c\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f "(),/;<=>?@[/]{}: whatever\r\nHost: {{host}}\r\n\r\n',
    expect: NOT_UNCHANGED,
  },
  { trophies: 'server 15: HTTP/\\r\\r1.1', payload: 'GET /{{id}}/ HTTP/\r\r1.1\r\n\r\n', expect: REFUSED },
  {
    trophies: 'server 16, transducer 5: empty Content-Length',
    payload: 'GET /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\nContent-Length: \r\n\r\n',
    expect: BAD_REQUEST,
  },
  {
    trophies: 'server 17: empty chunk size',
    payload: 'GET /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\nTransfer-Encoding: chunked\r\n\r\n\r\n\r\n',
    expect: REFUSED,
  },
  {
    trophies: 'server 18: empty field name',
    payload: 'GET /{{id}}/ HTTP/1.1\r\n: ignored\r\nHost: {{host}}\r\n\r\n',
    expect: NOT_UNCHANGED,
  },
  {
    trophies: 'server 19: bare LF after an empty field value',
    payload:
      'GET /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\nUseless:\n\nGET /{{id}}/ HTTP/1.1\r\nHost: {{canary}}\r\n\r\n',
  },
  {
    trophies: 'server 20: \\x85 before the colon of Content-Length',
    payload: 'GET /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\nContent-Length\x85: 10\r\n\r\n0123456789',
    expect: NOT_UNCHANGED,
    gadget: { name: 'Content-Length\x85', value: '10' },
  },
  {
    trophies: 'server 21, transducer 18: Transfer-Encoding ,chunked with Content-Length',
    payload:
      'GET /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\nTransfer-Encoding: ,chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n',
    expect: BAD_CODING,
  },
  {
    trophies: 'server 23: Content-Length 1 then 0',
    payload: 'GET /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\nContent-Length: 1\r\nContent-Length: 0\r\n\r\nZ',
    expect: BAD_REQUEST,
  },
  {
    trophies: 'server 24: HTTP/4294967295.255',
    payload: 'GET /{{id}}/ HTTP/4294967295.255\r\nHost: {{host}}\r\n\r\n',
    expect: REFUSED,
  },
  {
    // Published as is: a chunked request whose body never comes.
    trophies: 'server 25: chunked, body missing',
    payload: 'GET /{{id}}/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\nHost: {{host}}\r\n\r\n',
  },
  {
    trophies: 'server 26: Content-Length -48',
    payload: 'GET /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\nContent-Length: -48\r\n\r\n',
    expect: BAD_REQUEST,
  },
  {
    trophies: 'server 27: a field line that is only a colon',
    payload: 'GET /{{id}}/ HTTP/1.1\r\n:\r\nI: am chopped off\r\nHost: {{host}}\r\n\r\n',
    expect: NOT_UNCHANGED,
  },
  {
    trophies: 'server 28: Content-Length without a colon',
    payload: 'GET /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\nContent-Length 10\r\n\r\n0123456789',
    expect: NOT_UNCHANGED,
  },
  {
    trophies: 'server 29: Content-Length 1Z',
    payload: 'GET /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\nContent-Length: 1Z\r\n\r\nZ',
    expect: BAD_REQUEST,
  },
  {
    trophies: 'server 30: header block ended by \\r\\n\\rX',
    payload:
      'GET /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\n\rZGET /{{id}}/evil: HTTP/1.1\r\nHost: {{canary}}\r\n\r\n',
    expect: NOT_UNCHANGED,
  },
  {
    trophies: 'server 31: chunk line ended by \\rX',
    payload:
      'GET /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\r;ABCD\r\n34\r\nE\r\n0\r\n\r\nGET /{{id}}/ HTTP/1.1\r\nHost: {{canary}}\r\nContent-Length: 5\r\n\r\n0\r\n\r\n',
    expect: REFUSED,
  },
  {
    // 010 is ten: the eight bytes that follow leave the body unfinished.
    trophies: 'server 32: Content-Length 010',
    payload: 'GET /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\nContent-Length: 010\r\n\r\n01234567',
  },
  {
    trophies: 'server 33: Content-Length 0 then 1',
    payload: 'GET /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\nContent-Length: 0\r\nContent-Length: 1\r\n\r\nZ',
    expect: BAD_REQUEST,
  },
  {
    trophies: 'server 34: CR in a field value',
    payload: 'GET /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\nHeader: va\rlue\r\n\r\n',
    expect: NOT_UNCHANGED,
    gadget: { name: 'Header', value: 'va\rlue' },
  },
  {
    trophies: 'server 35: NUL in a field value',
    payload:
      'GET /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\nTest: test\x00THESE BYTES GET DROPPED\r\nConnection: close\r\n\r\n',
    expect: NOT_UNCHANGED,
    gadget: { name: 'Test', value: 'test\x00THESE BYTES GET DROPPED' },
  },
  {
    trophies: 'server 36: CR in a chunk extension',
    payload:
      'POST /{{id}}/abc HTTP/1.1\r\nTransfer-Encoding: chunked\r\nHost: {{host}}\r\n\r\n41;a=b\r\rXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX\r\n0\r\n\r\nGET /{{id}}/bad_path/pwned HTTP/1.1\r\nHost: {{canary}}\r\nContent-Length: 412\r\n\r\n0\r\n\r\nGET /{{id}}/def HTTP/1.1\r\nHost: {{host}}\r\n\r\n',
    expect: REFUSED,
  },
  {
    trophies: 'server 37: a field name continued on the next line',
    payload:
      'POST /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\nTransfer-\r\nEncoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n',
    expect: NOT_UNCHANGED,
  },
  {
    trophies: 'server 38: empty Content-Length before a pipelined request',
    payload:
      'GET /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\nContent-Length: \r\n\r\nGET /{{id}}/ HTTP/1.1\r\nHost: {{canary}}\r\n\r\n',
    expect: BAD_REQUEST,
  },
  {
    // A valid request: "X:POST / HTTP/1.1" is a trailer field.
    trophies: 'server 39: a trailer that looks like a request line',
    payload:
      'GET /{{id}}/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\nHost: {{host}}\r\n\r\n0\r\nX:POST /{{id}}/ HTTP/1.1\r\n\r\n',
  },
  {
    trophies: 'server 40: NUL method, dotted version',
    payload: '\x00 /{{id}}/ HTTP/............0596.7407.\r\n\r\n',
    expect: REFUSED,
  },
  {
    // obs-text is allowed in a field value: forwarding it is right, and so is dropping it.
    trophies: 'server 41: \\x85 and \\xa0 around a field value',
    payload: 'GET /{{id}}/login HTTP/1.1\r\nHost: {{host}}\r\nUser: \x85admin\xa0\r\n\r\n',
    gadget: { name: 'User', value: '\x85admin\xa0' },
  },
  {
    trophies: 'server 42: empty Content-Length, then 43',
    payload:
      'GET /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\nContent-Length: \r\nContent-Length: {{rest:head}}\r\n\r\nPOST /{{id}}/evil HTTP/1.1\r\nHost: {{canary}}\r\nContent-Length: {{rest}}\r\n\r\n{{end:head}}GET /{{id}}/ HTTP/1.1\r\nHost: {{canary}}\r\n\r\n',
    expect: BAD_REQUEST,
  },
  {
    trophies: 'server 43: NUL at the end of a field value',
    payload: 'GET /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\nEvil: evil\x00\r\n\r\n',
    expect: NOT_UNCHANGED,
    gadget: { name: 'Evil', value: 'evil\x00' },
  },
  {
    trophies: 'server 44: Transfer-Encoding blegh',
    payload:
      'POST /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\nTransfer-Encoding: blegh\r\n\r\n1\r\nZ\r\n0\r\n\r\n',
    expect: BAD_CODING,
  },
  {
    trophies: 'server 45: garbage after a request with Connection: close',
    payload: 'GET /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\nConnection: close\r\n\r\nInvalid\r\n\r\n',
  },
  {
    trophies: 'server 46: \\xff around Host and chunked',
    payload:
      'POST /{{id}}/ HTTP/1.1\r\nHost: \xff{{host}}\xff\r\nTransfer-Encoding: \xffchunked\xff\r\n\r\n1\r\nZ\r\n0\r\n\r\n',
    expect: REFUSED,
  },
  {
    trophies: 'server 47: an invalid chunk, then a request',
    payload:
      'POST /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\nTransfer-Encoding: chunked\r\n\r\nINVALID!!!\r\nGET /{{id}}/ HTTP/1.1\r\nHost: {{canary}}\r\n\r\n',
    expect: REFUSED,
  },
  {
    // The third request is the second one's body.
    trophies: 'server 48: pipelined requests after Content-Length: 0',
    payload: [
      'POST /{{id}}/0 HTTP/1.1\r\nContent-Length: 0\r\nConnection:keep-alive\r\nHost: {{host}}\r\nid: 0\r\n\r\nPOST /{{id}}/1 HTTP/1.1\r\nHost: {{host}}\r\nid: 1\r\nContent-Length: {{rest}}\r\n\r\n',
      'GET /{{id}}/2 HTTP/1.1\r\nHost: {{canary}}\r\nid: 2\r\n\r\n',
    ],
  },
  {
    trophies: 'transducer 1: Content-Length 0x10',
    payload: 'POST /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\nContent-Length: 0x10\r\n\r\nZ',
    expect: BAD_REQUEST,
  },
  {
    trophies: 'transducer 2: invalid chunk sizes',
    payload:
      'POST /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\nTransfer-Encoding: chunked\r\n\r\nZ\r\nZZ\r\nZZZ\r\n\r\n',
    expect: REFUSED,
  },
  {
    trophies: 'transducer 3: CR before a chunk extension',
    payload:
      'POST /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\nTransfer-Encoding: chunked\r\n\r\n2\r\r;a\r\n02\r\n41\r\n0\r\n\r\nGET /{{id}}/bad_path/pwned HTTP/1.1\r\nHost: {{canary}}\r\nContent-Length: 430\r\n\r\n0\r\n\r\nGET /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\n\r\n',
    expect: REFUSED,
  },
  {
    trophies: 'transducer 4: two spaces after the target, CR in a chunk',
    payload: 'POST /{{id}}/  HTTP/1.1\r\nTransfer-Encoding: chunked\r\nHost: {{host}}\r\n\r\n1\r0\n',
    expect: REFUSED,
  },
  {
    trophies: 'transducer 6: \\x85 in a field name',
    payload: 'GET /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\nHeader\x85: value\r\n\r\n',
    expect: NOT_UNCHANGED,
    gadget: { name: 'Header\x85', value: 'value' },
  },
  {
    trophies: 'transducer 7: chunk size followed by garbage',
    payload:
      'POST /{{id}}/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\nHost: {{host}}\r\n\r\n1these-bytes-never-get-validated\r\nZ\r\n0\r\n\r\n',
    expect: REFUSED,
  },
  {
    trophies: 'transducer 9: Transfer-Encoding ,chunked',
    payload: 'POST /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\nTransfer-Encoding: ,chunked\r\n\r\n0\r\n\r\n',
    expect: BAD_CODING,
  },
  {
    trophies: 'transducer 10: CRs in a field value',
    payload: 'GET /{{id}}/ HTTP/1.1\r\nInvalid-Header: this\rvalue\ris\rinvalid\r\nHost: {{host}}\r\n\r\n',
    expect: NOT_UNCHANGED,
    gadget: { name: 'Invalid-Header', value: 'this\rvalue\ris\rinvalid' },
  },
  {
    trophies: 'transducer 11: empty Content-Length, then 59',
    payload:
      'GET /{{id}}/ HTTP/1.1\r\nhost: {{host}}\r\ncontent-length: \r\ncontent-length: {{rest:head}}\r\n\r\nPOST /{{id}}/evil HTTP/1.1\r\nhost: {{canary}}\r\ncontent-length: {{rest}}\r\n\r\n{{end:head}}GET /{{id}}/ HTTP/1.1\r\nhost: {{canary}}\r\n\r\n',
    expect: BAD_REQUEST,
  },
  {
    trophies: 'transducer 12: NUL in Host',
    payload: 'GET /{{id}}/ HTTP/1.1\r\nHost: {{host}}\x00.kallus.org\r\n\r\n',
    expect: REFUSED,
  },
  {
    trophies: 'transducer 13: bare LF after chunk data',
    payload:
      'GET /{{id}}/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\nHost: {{host}}\r\n\r\na\r\n0123456789\n0\r\n\r\n',
    expect: REFUSED,
  },
  {
    trophies: 'transducer 14: LF inside a field name',
    payload: 'GET /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\nTe\nst: test\r\nConnection: close\r\n\r\n',
    expect: NOT_UNCHANGED,
  },
  {
    trophies: 'transducer 15: Transfer-Encoding ,chunked, Content-Length and close',
    payload:
      'GET /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\nTransfer-Encoding: ,chunked\r\nContent-Length: 5\r\nConnection: close\r\n\r\n0r\n\r\n',
    expect: BAD_CODING,
  },
  {
    // RFC 9112 §2.2 lets a recipient read a bare LF as a line end; refusing is right too.
    trophies: 'transducer 16: bare LF line endings',
    payload: 'GET /{{id}}/ HTTP/1.1\nHost: {{host}}\nConnection: close\n\n',
    expect: NOT_UNCHANGED,
  },
  {
    // A valid request: its one chunk is 0x17 bytes that look like a request; the tag is kept out
    // of them so the chunk size stays right.
    trophies: 'transducer 17: a chunk that looks like the last chunk and a request',
    payload:
      'POST /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\nTransfer-Encoding: chunked\r\n\r\n17\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n\r\n\r\n0\r\n\r\n',
  },
  {
    trophies: 'transducer 19: chunk size -0x0',
    payload: 'POST /{{id}}/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\nHost: {{host}}\r\n\r\n-0x0\r\n\r\n',
    expect: REFUSED,
  },
  {
    trophies: 'transducer 20: a field line with NUL and no colon',
    payload: 'GET /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\na:b\r\nc\x00\r\n\r\n',
    expect: NOT_UNCHANGED,
  },
  {
    // A body on GET is framed like any other: forwarded with it, or refused; never without it.
    trophies: 'transducer 21: GET with a body',
    payload: 'GET /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\nContent-Length: 10\r\n\r\n1234567890',
  },
  {
    trophies: 'transducer 22: Content-Length 0 then 31',
    payload:
      'POST /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\nContent-Length: 0\r\nContent-Length: {{rest}}\r\n\r\nGET /{{id}}/evil HTTP/1.1\r\nHost: {{canary}}\r\n\r\n',
    expect: BAD_REQUEST,
  },
  {
    trophies: 'transducer 23: Content-Length with Transfer-Encoding',
    payload:
      'POST /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    expect: BAD_REQUEST,
  },
  {
    trophies: 'transducer 24: whitespace before a chunk size',
    payload:
      'POST /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\nTransfer-Encoding: chunked\r\n\r\n           0\r\n\r\n',
    expect: REFUSED,
  },
  {
    trophies: 'transducer 25: Transfer-Encoding: chunked twice',
    payload:
      'POST /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    expect: BAD_CODING,
  },
  {
    trophies: 'bonus 3: a byte after a chunked request',
    payload: 'GET /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n\x00',
  },
  {
    trophies: 'bonus 4: a chunked body',
    payload:
      'POST /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nZ\r\n0\r\n\r\n',
  },
  {
    trophies: 'bonus bonus 1: HTTP/2 with whitespace in a field value, on an HTTP/1.1 port',
    payload:
      'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00E\x01\x05\x00\x00\x00\x01\x00\n:authority\tlocalhost\x00\x05:path\x01/\x00\x07:method\x03GET\x00\x07:scheme\x04http\x00\x05test1\x03\ta\t',
    expect: REFUSED,
  },
  {
    trophies: 'bonus bonus 2: HTTP/2 with an empty field name, on an HTTP/1.1 port',
    payload:
      'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00=\x01\x05\x00\x00\x00\x01\x00\n:authority\tlocalhost\x00\x05:path\x01/\x00\x07:method\x03GET\x00\x07:scheme\x04http\x00\x00\x00',
    expect: REFUSED,
  },
];

export const httpGarden: HostileFamily = {
  name: 'http-garden',
  source: 'github.com/narfindustries/http-garden: TROPHIES.md',
  cases: TROPHIES.map(
    (trophy): HostileCase => ({
      name: trophy.trophies,
      payload: trophy.payload,
      ...(trophy.expect ? { expect: trophy.expect } : {}),
      ...(trophy.gadget ? { gadget: trophy.gadget } : {}),
    }),
  ),
};
