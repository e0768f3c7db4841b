import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

// RFC 9110 §7.6.1 hop-by-hop headers plus the non-standard ones proxies are known to leak.
// The message framing (Content-Length or chunked) and the connection headers are re-done on
// each side: by Node towards the client, by undici towards the backend (a WebSocket handshake
// gets its Connection and Upgrade from undici's `upgrade` option). HTTP2-Settings belongs to an
// h2c upgrade (RFC 7540 §3.2.1), which the edge never performs. Expect was answered by the
// edge's own server (100 Continue) before the body came.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
  'expect',
]);

// Headers a client cannot remove by naming them in `Connection`: the ones that frame the body
// (dropping Content-Length would send the body unframed, where the backend reads it as the next
// request) and the one that routes it. RFC 9110 §7.6.1 lets a proxy keep headers "that it
// needs": these it always needs.
const NEVER_HOP_BY_HOP = new Set(['host', 'content-length', 'transfer-encoding']);

// Client-supplied forwarding headers, dropped unless the peer is a trusted proxy.
const FORWARDING = new Set([
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'forwarded',
  'x-real-ip',
]);

/**
 * Header names listed in `Connection` (hop-by-hop for this one message), without the framing
 * headers and `Host`, which no client may remove.
 */
export function connectionTokens(value: string | string[] | undefined): Set<string> | undefined {
  if (value === undefined) return undefined;
  const joined = Array.isArray(value) ? value.join(',') : value;
  if (joined.indexOf(',') < 0) {
    const token = joined.trim().toLowerCase();
    // `keep-alive` and `close` are the common cases and already hop-by-hop.
    if (token === 'keep-alive' || token === 'close' || token === '' || NEVER_HOP_BY_HOP.has(token))
      return undefined;
    return new Set([token]);
  }
  const tokens = new Set<string>();
  for (const token of joined.split(',')) {
    const name = token.trim().toLowerCase();
    if (name !== '' && !NEVER_HOP_BY_HOP.has(name)) tokens.add(name);
  }
  return tokens.size > 0 ? tokens : undefined;
}

export interface ForwardedFor {
  /** The peer's address (IPv4-mapped IPv6 already unwrapped). */
  readonly peer: string;
  /** True when the peer is in `WHARF_TRUSTED_PROXIES`: its `X-Forwarded-*` are kept. */
  readonly trusted: boolean;
  /** The `Host` the client asked for (as sent). */
  readonly host: string;
  readonly proto: 'http' | 'https';
  readonly requestId: string;
}

/** Request headers as undici sends them (no hop-by-hop header: undici refuses those). */
export type UpstreamHeaders = Record<string, string | string[] | undefined>;

/**
 * The headers to send upstream: hop-by-hop ones removed (including any named in `Connection`),
 * `X-Forwarded-For/-Proto/-Host` and `X-Request-Id` set — appended to or kept only when the
 * peer is trusted, replaced otherwise. `Content-Length` stays as the client sent it; a body
 * without it goes chunked (undici frames every body it streams).
 */
export function upstreamRequestHeaders(
  headers: IncomingHttpHeaders,
  forwarded: ForwardedFor,
): UpstreamHeaders {
  const listed = connectionTokens(headers.connection);
  const out: UpstreamHeaders = {};
  for (const name in headers) {
    if (HOP_BY_HOP.has(name) || listed?.has(name)) continue;
    // HTTP/2 pseudo-headers (`:method`, `:authority`…) are no HTTP/1.1 header names.
    if (name.charCodeAt(0) === 58 /* : */) continue;
    if (!forwarded.trusted && (FORWARDING.has(name) || name === 'x-request-id')) continue;
    out[name] = headers[name];
  }
  // HTTP/2 carries the host as `:authority`; the backend speaks HTTP/1.1 and needs `Host`.
  if (out.host === undefined && forwarded.host !== '') out.host = forwarded.host;
  const priorFor = forwarded.trusted ? headers['x-forwarded-for'] : undefined;
  out['x-forwarded-for'] = priorFor ? `${priorFor}, ${forwarded.peer}` : forwarded.peer;
  if (!forwarded.trusted || headers['x-forwarded-proto'] === undefined)
    out['x-forwarded-proto'] = forwarded.proto;
  if (!forwarded.trusted || headers['x-forwarded-host'] === undefined)
    out['x-forwarded-host'] = forwarded.host;
  if (!forwarded.trusted || headers['x-request-id'] === undefined) out['x-request-id'] = forwarded.requestId;
  return out;
}

/** The upstream response's headers without hop-by-hop ones; Node re-frames the body. */
export function downstreamResponseHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const listed = connectionTokens(headers.connection);
  const out: OutgoingHttpHeaders = {};
  for (const name in headers) {
    if (HOP_BY_HOP.has(name) || listed?.has(name)) continue;
    out[name] = headers[name];
  }
  return out;
}

/** `::ffff:10.0.0.1` → `10.0.0.1`, so IPv4 CIDRs match IPv4 clients on dual-stack sockets. */
export function peerAddress(address: string | undefined): string {
  if (address === undefined) return '';
  return address.startsWith('::ffff:') && address.indexOf('.') > 0 ? address.slice(7) : address;
}
