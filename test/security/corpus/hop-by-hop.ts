import type { HostileCase, HostileFamily } from '../../support/hostile-case.js';
import { HEADER_NAMES } from './header-names.js';

/**
 * A hop-by-hop header abuse scan: every request header name of a public wordlist listed in
 * `Connection` next to a field of that name, on a request with a body. A proxy must remove
 * the fields `Connection` names before forwarding (RFC 9110 §7.6.1) — but never the ones it
 * needs to frame and route the request: `Host`, `Content-Length`, `Transfer-Encoding` (dropping
 * Content-Length unframes the body into a second request; dropping Host unroutes it).
 */

/** Fields the request itself carries, listed in `Connection` without a second copy. */
const CARRIED = new Set(['host', 'content-length', 'transfer-encoding']);

/**
 * Names whose field has a meaning of its own for the server or the connection (an Expect the
 * server cannot meet is answered 417; Upgrade asks for a protocol switch; Connection, TE and
 * Keep-Alive are connection options already): removing them is right, and so is acting on them.
 */
const SPECIAL = new Set([
  'connection',
  'keep-alive',
  'te',
  'upgrade',
  'expect',
  'proxy-connection',
  'trailer',
]);

function scan(name: string): HostileCase {
  if (name === 'transfer-encoding')
    return {
      name,
      payload:
        'POST /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\nConnection: keep-alive, transfer-encoding\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
    };
  const field = CARRIED.has(name) ? '' : `${name}: hop-by-hop\r\n`;
  return {
    name,
    payload: `GET /{{id}}/ HTTP/1.1\r\nHost: {{host}}\r\nConnection: keep-alive, ${name}\r\n${field}Content-Length: 5\r\n\r\nhello`,
    ...(field === '' ? {} : { gadget: { name, value: 'hop-by-hop' } }),
    // RFC 9110 §7.6.1: "MUST … remove any header or trailer field(s) … with the same name".
    ...(field === '' || SPECIAL.has(name) ? {} : { expect: { outcome: 'normalised' } }),
  };
}

export const hopByHop: HostileFamily = {
  name: 'hop-by-hop',
  source: 'github.com/PortSwigger/param-miner: resources/headers (the header names)',
  cases: HEADER_NAMES.map(scan),
};
