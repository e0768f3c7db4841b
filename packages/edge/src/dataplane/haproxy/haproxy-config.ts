import { METHODS } from 'node:http';
import { join } from 'node:path';
import type { ListenAddress } from '../../edge-config.js';
import { HTTP_CHALLENGE_PATH } from '../../tls/challenge-set.js';
import { PLAIN_HTTP_ON_TLS_MESSAGE, TLS_PROTOCOL_OPTIONS } from '../../tls/tls-protocol-options.js';
import { RETRY_AFTER_SECONDS } from '../builtin/error-response.js';

/** One endpoint as a server line of a pool's backend. */
export interface HaproxyServer {
  /** The endpoint's instance id: it names the endpoint in HAProxy's stats and the access log. */
  readonly name: string;
  /** An IP address: the edge resolves DNS names itself, HAProxy never does. */
  readonly address: string;
  readonly port: number;
  /** HAProxy's 0–256 (see `haproxyWeights`). */
  readonly weight: number;
  /** False: draining, kept for in-flight requests, given no new ones. */
  readonly ready: boolean;
  /**
   * Outside the edge's zone (`WHARF_ZONE`): used only while no server of the zone can take
   * requests (HAProxy's backup servers, all of them balanced: `option allbackups`).
   */
  readonly backup: boolean;
  /**
   * Passive health applies (`check`, `observe`). False for an endpoint's panic twin: a backup
   * copy without checks, used only when every checked server of the pool is down, so a pool
   * whose endpoints all failed is still tried (as the built-in plane's panic mode does) instead
   * of answering 503 until a check passes.
   */
  readonly checked: boolean;
}

/** The name of an endpoint's panic twin (`:` cannot end an instance id's port). */
export function panicTwinName(name: string): string {
  return `${name}:panic`;
}

/**
 * A backend section that can hold one pool (one Host + path prefix). HAProxy 2.6 cannot add
 * backends at run time, so the configuration carries spare slots and pools move into them.
 */
export interface HaproxySlot {
  readonly name: string;
  readonly servers: readonly HaproxyServer[];
}

export interface HaproxyConfigInput {
  /** Runtime directory: sockets and map files. */
  readonly directory: string;
  /** The Lua helpers (startup hold, Connection-listed headers). */
  readonly luaFile: string;
  readonly listen: ListenAddress;
  /** `nbthread`: the counterpart of the built-in plane's worker processes. */
  readonly threads: number;
  /** CIDRs whose `X-Forwarded-*` and `X-Request-Id` are kept; empty trusts nobody. */
  readonly trustedProxies: readonly string[];
  readonly headersTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly upstreamTimeoutMs: number;
  /** `WHARF_CONNECT_TIMEOUT`: a connection not up by then counts as failed and is retried elsewhere. */
  readonly connectTimeoutMs: number;
  /** How long requests that arrive before the first sync are held. */
  readonly startupWaitMs: number;
  /** How long a request to a held route (no serving endpoint, within its grace) waits for one. */
  readonly routeWaitMs: number;
  /** How long a server that passive health marked down stays out before it is checked again. */
  readonly ejectionMs: number;
  /** Old workers (after a reload) are stopped at the latest this long after it. */
  readonly oldWorkerGraceMs: number;
  /** One log line per request on the workers' stdout, in `ACCESS_LOG_FORMAT`. */
  readonly accessLog: boolean;
  /** Request ids are `<prefix>-<counter>`; a fresh prefix per rendering keeps them unique across reloads. */
  readonly requestIdPrefix: string;
  readonly slots: readonly HaproxySlot[];
  /** The HTTPS listener, when on (`WHARF_TLS_LISTEN`). */
  readonly tls?: HaproxyTlsInput | undefined;
}

export interface HaproxyTlsInput {
  readonly listen: ListenAddress;
  /** The edge's TLS-ALPN-01 responder on loopback. */
  readonly alpnResponderPort: number;
  /** The port clients reach HTTPS on, for 308 redirects (443: left out of the URL). */
  readonly redirectPort: number;
}

/** Files and sockets in the runtime directory. */
export const RUNTIME_FILES = Object.freeze({
  config: 'haproxy.cfg',
  /** Exact route hosts (`host host`). */
  hosts: 'hosts.map',
  /** Wildcard route hosts (`.example.com *.example.com`), most specific first. */
  wildcards: 'wildcards.map',
  /** `<route host><prefix>/ <slot>`: longest prefix wins (`map_beg`). */
  routes: 'routes.map',
  /** `<slot> <route id>`: names the route in error bodies. */
  slots: 'slots.map',
  /** `open 1` once the first sync is applied. */
  state: 'state.map',
  /** `<slot> <epoch ms>`: the route in the slot lost its last serving endpoint and is held until then. */
  held: 'held.map',
  /** Slots whose route redirects plain HTTP to HTTPS (`<slot> 1`). */
  redirect: 'redirect.map',
  /** Slots whose route sends HSTS over HTTPS (`<slot> <max-age>`). */
  hsts: 'hsts.map',
  /** Certificates served by SNI, with the names each is chosen for. */
  crtList: 'crt-list.txt',
  /** The certificate files the crt-list names. */
  certificates: 'certs',
  /** Names a certificate covers exactly (`<name> 1`); others are refused unless a default is set. */
  sni: 'sni.map',
  /** Suffixes wildcard certificates cover (`example.com 1` for `*.example.com`). */
  sniWildcards: 'sni-wildcards.map',
  /** ACME HTTP-01: `<token> <key authorization>`. */
  challenges: 'challenges.map',
  /** Where the TLS front hands ClientHellos on to the HTTPS bind (with the client's address). */
  tls: 'tls.sock',
  /** Where plain HTTP sent to the TLS port is answered 400. */
  plainOnTls: 'plain-on-tls.sock',
  api: 'api.sock',
  master: 'master.sock',
  /** Where a stopping worker passes the requests it still holds to its successor. */
  handover: 'handover.sock',
});

/** Methods the edge may send to another endpoint after a connection broke before the response. */
const IDEMPOTENT = 'GET HEAD OPTIONS PUT DELETE TRACE';

// The lowercased Host header: a name or a bracketed IPv6 literal, one optional trailing dot,
// an optional port (the built-in plane's normaliseHost, as a regular expression). Character
// classes instead of backslashes: HAProxy's parser would take the backslashes for itself.
const HOST_PATTERN = '^([[][0-9a-f:.]+[]]|[a-z0-9_-]+([.][a-z0-9_-]+)*[.]?)(:[0-9]{1,5})?$';

/**
 * One request per line on stdout, parsed back by `parseHaproxyAccessLine`. The host is quoted
 * and escaped (a refused one is logged as sent); the target comes last, as HAProxy refuses
 * targets with spaces. `%B` counts what the server sent, head included: the declared length
 * and the size of the server's head let the edge log body bytes, as the built-in plane does.
 */
export const ACCESS_LOG_FORMAT =
  '%Ts.%ms %ci %HM %{+Q,+E}[var(txn.log_host)] %ST %B %[var(txn.log_length)] %[var(txn.log_head)] %Ta %b %s %rc %ID %HU';

const TEXT = 'content-type "text/plain; charset=utf-8" hdr cache-control no-store';
/** HAProxy's own errors (a request its parser refused, a failed upstream) name the request too. */
const ERROR = `${TEXT} hdr x-request-id %[unique-id]`;
const CLOSE = 'hdr connection close';
/** Every 503 the edge answers itself says when to ask again, as on the built-in plane. */
const RETRY = `hdr retry-after ${RETRY_AFTER_SECONDS}`;

/**
 * Server options shared by the configuration file and `add server`, which does not read
 * `default-server`. Passive health: three connection failures in a row mark the server down
 * (`observe layer4`); while down it is checked every `ejectionMs` and comes back on the first
 * check that connects. While up it is checked only hourly: the bridge runs the real checks.
 */
export function serverOptions(ejectionMs: number): string {
  return (
    `check inter 1h fastinter ${ejectionMs} downinter ${ejectionMs} rise 1 fall 3 ` +
    'observe layer4 error-limit 3 on-error mark-down'
  );
}

/** `address:port` as HAProxy reads it (IPv6 in brackets). */
export function serverAddress(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** The `server` line of one endpoint. */
export function serverLine(server: HaproxyServer, ejectionMs: number): string {
  return `server ${serverArguments(server, ejectionMs)}${server.ready ? '' : ' disabled'}`;
}

/** `<name> <address> weight <w> [options]`: a `server` line's arguments, as `add server` takes them. */
export function serverArguments(server: HaproxyServer, ejectionMs: number): string {
  return (
    `${server.name} ${serverAddress(server.address, server.port)} weight ${server.weight}` +
    `${server.checked ? ` ${serverOptions(ejectionMs)}` : ''}${server.backup ? ' backup' : ''}`
  );
}

/**
 * The whole `haproxy.cfg`, a pure function of the edge's settings and the pools' slots. The
 * routing itself lives in map files beside it, so route changes never touch this file.
 *
 * A request goes through: the startup hold; the open-proxy and Host checks; the forwarded
 * headers (kept only from trusted proxies) and hop-by-hop removal; then three map lookups —
 * exact host, else the most specific wildcard, then the longest prefix of that host only —
 * which name the slot (backend) of the pool. Answers the edge gives itself come from small
 * backends of their own, so `show stat` counts them by status.
 */
export function renderHaproxyConfig(input: HaproxyConfigInput): string {
  const file = (name: string) => join(input.directory, name);
  const map = (name: keyof typeof RUNTIME_FILES) => file(RUNTIME_FILES[name]);
  const seconds = (ms: number) => `${Math.max(1, Math.ceil(ms))}ms`;
  const trusted = input.trustedProxies.length > 0 ? `src ${input.trustedProxies.join(' ')}` : 'always_false';
  const address = (listen: ListenAddress) =>
    listen.host.includes(':') ? `[${listen.host}]:${listen.port}` : `${listen.host}:${listen.port}`;
  const listen = address(input.listen);
  const tls = input.tls;
  const challengeToken = `path,field(4,/),map(${map('challenges')})`;
  const lines: string[] = [
    '# Rendered by wharf-edge; rewritten on every change. Do not edit.',
    'global',
    '  master-worker',
    `  nbthread ${input.threads}`,
    `  stats socket ${file(RUNTIME_FILES.api)} mode 600 level admin expose-fd listeners`,
    '  stats timeout 1m',
    `  hard-stop-after ${seconds(input.oldWorkerGraceMs)}`,
    '  mworker-max-reloads 50',
    `  setenv WHARF_STATE_MAP ${map('state')}`,
    `  setenv WHARF_HELD_MAP ${map('held')}`,
    `  lua-load ${input.luaFile}`,
    ...(input.accessLog ? ['  log stdout format raw local0 info'] : []),
    '',
    'defaults',
    '  mode http',
    `  timeout connect ${seconds(input.connectTimeoutMs)}`,
    `  timeout server ${seconds(input.upstreamTimeoutMs)}`,
    `  timeout queue ${seconds(input.upstreamTimeoutMs)}`,
    `  timeout client ${seconds(input.idleTimeoutMs)}`,
    `  timeout http-request ${seconds(input.headersTimeoutMs)}`,
    `  timeout http-keep-alive ${seconds(input.idleTimeoutMs)}`,
    // WebSockets: no idle limit of their own beyond an hour; half-closed ones end soon, so a
    // removed endpoint's server can be deleted.
    '  timeout tunnel 1h',
    '  timeout client-fin 5s',
    '  timeout server-fin 5s',
    // Another endpoint after a refused connection (any method: nothing was sent) and, for
    // idempotent requests without a body, after a connection that broke before the response.
    // A client that goes away cancels its request upstream too.
    '  option abortonclose',
    // A reload or a stop does not close idle keep-alive connections under a client about to
    // reuse them: each is closed after its next response, which says "Connection: close".
    '  option idle-close-on-response',
    '  retries 2',
    '  option redispatch 1',
    '  retry-on conn-failure empty-response',
    `  unique-id-format ${input.requestIdPrefix}-%{+X}rt`,
    `  http-error status 400 ${ERROR} lf-string "400 Bad Request: malformed request (request id %[unique-id])\\n"`,
    `  http-error status 408 ${ERROR} lf-string "408 Request Timeout: request headers not complete in time (request id %[unique-id])\\n"`,
    `  http-error status 500 ${ERROR} lf-string "500 Internal Server Error: the edge failed (request id %[unique-id])\\n"`,
    `  http-error status 502 ${ERROR} lf-string "502 Bad Gateway: an endpoint of %[var(txn.slot),map(${map('slots')})] sent an invalid response, or none (request id %[unique-id])\\n"`,
    // HAProxy answers 503 when no connection to any endpoint came up (after retries); the edge's
    // answer for that is 502, as the built-in plane's. The status is rewritten below.
    `  http-error status 503 ${ERROR} lf-string "502 Bad Gateway: no endpoint of %[var(txn.slot),map(${map('slots')})] accepted the connection (request id %[unique-id])\\n"`,
    `  http-error status 504 ${ERROR} lf-string "504 Gateway Timeout: upstream of %[var(txn.slot),map(${map('slots')})] did not answer in time (request id %[unique-id])\\n"`,
    '',
    'frontend wharf',
    // Here, not in defaults: the TLS port's TCP front has no HTTP fields to log.
    ...(input.accessLog ? ['  log global', `  log-format "${ACCESS_LOG_FORMAT}"`] : []),
    `  bind ${listen}`,
    `  bind unix@${file(RUNTIME_FILES.handover)} accept-proxy mode 600 name wharf_handover`,
    ...(tls
      ? [
          `  bind unix@${file(RUNTIME_FILES.tls)} accept-proxy mode 600 ssl crt-list ${file(RUNTIME_FILES.crtList)} ` +
            `alpn h2,http/1.1 ssl-min-ver TLSv1.2 ciphers ${TLS_PROTOCOL_OPTIONS.ciphers} curves ${TLS_PROTOCOL_OPTIONS.ecdhCurve}`,
        ]
      : []),
    `  acl wharf_open str(open),map(${map('state')}) -m str 1`,
    // `var(txn.https)`: the request came over TLS — directly, or handed over by a stopping
    // worker that received it over TLS (the handover is plain HTTP on a private socket).
    '  http-request set-var(txn.https) ssl_fc',
    '  http-request set-var(txn.https) bool(true) if { so_name -m str wharf_handover } { req.hdr(x-wharf-https) -m str 1 }',
    '  http-request del-header x-wharf-https',
    `  acl wharf_trusted ${trusted}`,
    `  acl wharf_websocket req.hdr(upgrade) -i websocket`,
    `  acl wharf_idempotent method ${IDEMPOTENT}`,
    // The methods the built-in plane's parser (Node's) knows: others are refused on both planes.
    `  acl wharf_known_method method ${METHODS.join(' ')}`,
    // Control characters in a field value: HAProxy forwards them, most backends' parsers refuse.
    '  acl wharf_control_characters req.hdrs -m reg [\\\\x00-\\\\x08\\\\x0b\\\\x0c\\\\x0e-\\\\x1f\\\\x7f]',
    '  acl wharf_body req.hdr(transfer-encoding) -m found',
    '  acl wharf_body req.hdr(content-length) -m int gt 0',
    `  http-request lua.wharf_hold ${Math.ceil(input.startupWaitMs)} unless wharf_open`,
    '  http-request set-var(txn.host) req.fhdr(host),lower,regsub(:[0-9]+$,),regsub([.]$,) ' +
      `if { req.fhdr_cnt(host) eq 1 } { req.fhdr(host),length le 260 } { req.fhdr(host),lower -m reg ${HOST_PATTERN} }`,
    ...(input.accessLog
      ? [
          '  http-request set-var(txn.log_host) req.fhdr(host)',
          '  http-request set-var(txn.log_host) var(txn.host) if { var(txn.host) -m found }',
        ]
      : []),
    // Hop-by-hop headers: those the Connection header names (Lua, only when it names any),
    // the standard ones, and upgrades other than a WebSocket handshake on a bodiless GET.
    '  http-request lua.wharf_request_connection_names if { req.fhdr(connection) -m found } ' +
      '!{ req.fhdr(connection) -m reg -i ^[[:space:]]*(keep-alive|close)?[[:space:]]*$ }',
    '  http-request del-header keep-alive',
    '  http-request del-header proxy-connection',
    '  http-request del-header proxy-authorization',
    '  http-request del-header te',
    '  http-request del-header trailer',
    '  http-request del-header http2-settings',
    '  http-request del-header upgrade unless wharf_websocket METH_GET !wharf_body',
    '  http-request del-header connection unless wharf_websocket METH_GET !wharf_body',
    '  http-request set-header connection upgrade if wharf_websocket METH_GET !wharf_body',
    // Forwarding headers: replaced unless the peer is a trusted proxy, whose values are kept
    // (X-Forwarded-For appended to).
    '  http-request del-header forwarded unless wharf_trusted',
    '  http-request del-header x-real-ip unless wharf_trusted',
    '  http-request set-header x-forwarded-for %[src] unless wharf_trusted',
    '  http-request add-header x-forwarded-for %[src] if wharf_trusted',
    '  http-request set-header x-forwarded-proto %[var(txn.https),iif(https,http)] unless wharf_trusted { req.hdr(x-forwarded-proto) -m found }',
    '  http-request set-header x-forwarded-host %[req.fhdr(host)] unless wharf_trusted { req.fhdr(x-forwarded-host) -m found }',
    '  http-request set-header x-request-id %[unique-id] unless wharf_trusted { req.fhdr(x-request-id) -m found }',
    // A request with a body is sent to another endpoint only when its connection never came up.
    '  http-request disable-l7-retry if !wharf_idempotent or wharf_body',
    // Routing: exact host, else the most specific wildcard; then that host's longest prefix.
    `  http-request set-var(txn.route_host) var(txn.host),map_str(${map('hosts')}) if { var(txn.host) -m found }`,
    `  http-request set-var(txn.route_host) var(txn.host),map_end(${map('wildcards')}) if { var(txn.host) -m found } !{ var(txn.route_host) -m found }`,
    '  http-request set-var-fmt(txn.route_key) %[var(txn.route_host)]%[path]/ if { var(txn.route_host) -m found }',
    `  http-request set-var(txn.slot) var(txn.route_key),map_beg(${map('routes')}) if { var(txn.route_key) -m found }`,
    // ACME HTTP-01 validations, answered by every edge from the challenges in etcd; unknown
    // tokens are routed like any request, and never redirected to HTTPS.
    `  http-request return status 200 content-type application/octet-stream hdr cache-control no-store lf-string "%[${challengeToken}]" if { path_beg ${HTTP_CHALLENGE_PATH} } { ${challengeToken} -m found }`,
    ...(tls
      ? [
          `  http-request redirect location https://%[var(txn.host)]${tls.redirectPort === 443 ? '' : `:${tls.redirectPort}`}%[pathq] code 308 ` +
            `if !{ var(txn.https) -m bool } { var(txn.slot),map(${map('redirect')}) -m found } !{ path_beg ${HTTP_CHALLENGE_PATH} }`,
        ]
      : []),
    // Before any rule changes the response: the size of the head the server sent.
    ...(input.accessLog ? ['  http-response set-var(txn.log_head) res.hdrs,length'] : []),
    '  http-response lua.wharf_response_connection_names if { res.fhdr(connection) -m found } ' +
      '!{ res.fhdr(connection) -m reg -i ^[[:space:]]*(keep-alive|close)?[[:space:]]*$ }',
    '  http-response del-header keep-alive',
    '  http-response del-header proxy-authenticate',
    '  http-response del-header proxy-connection',
    '  http-response del-header trailer',
    '  http-response del-header connection unless { status 101 }',
    '  http-response del-header upgrade unless { status 101 }',
    '  http-response set-var(txn.wharf_upstream) bool(true)',
    '  http-after-response set-status 502 if { status 503 } !{ var(txn.wharf_upstream) -m found } !{ var(txn.wharf_answer) -m found }',
    '  http-after-response set-header x-request-id %[unique-id]',
    // HSTS only over HTTPS (RFC 6797 §7.2).
    `  http-after-response set-header strict-transport-security max-age=%[var(txn.slot),map(${map('hsts')})] if { var(txn.https) -m bool } { var(txn.slot),map(${map('hsts')}) -m found }`,
    // The access log counts body bytes: the length the response declares, else what the server
    // sent (`%B`, head included) minus the head it sent.
    ...(input.accessLog ? ['  http-after-response set-var(txn.log_length) res.hdr(content-length)'] : []),
    '  use_backend wharf_handover if { var(txn.wharf_gate) -m str handover }',
    '  use_backend wharf_not_ready if { var(txn.wharf_gate) -m str not_ready }',
    // HTTP/2 only as itself (a TLS listener, later), never as a version on an HTTP/1 line.
    '  use_backend wharf_version unless { req.ver 1.0 1.1 } or { fc_http_major 2 }',
    '  use_backend wharf_malformed if wharf_control_characters',
    // The only transfer coding a request may carry, once: a peer in front of the edge may
    // frame `gzip, chunked` or `chunked ,` differently (the built-in plane refuses them too).
    '  use_backend wharf_transfer_encoding if { req.fhdr_cnt(transfer-encoding) gt 1 }',
    '  use_backend wharf_transfer_encoding if { req.fhdr(transfer-encoding) -m found } !{ req.fhdr(transfer-encoding) -m reg -i ^[[:space:]]*chunked[[:space:]]*$ }',
    '  use_backend wharf_connect if METH_CONNECT',
    '  use_backend wharf_method unless wharf_known_method',
    // HTTP/2 requests carry scheme and authority in HAProxy's URL; their path starts with `/`.
    '  use_backend wharf_target unless { url_beg / } or { fc_http_major 2 }',
    '  use_backend wharf_host unless { var(txn.host) -m found }',
    '  use_backend %[var(txn.slot)] if { var(txn.slot) -m found }',
    '  default_backend wharf_no_route',
    '',
    ...answer(
      'wharf_not_ready',
      503,
      'Service Unavailable: not ready: the first sync with the registry has not completed',
      RETRY,
    ),
    ...answer(
      'wharf_connect',
      405,
      'Method Not Allowed: CONNECT is not supported: this is not a forward proxy',
    ),
    ...answer(
      'wharf_target',
      400,
      'Bad Request: only origin-form request targets (/path) are accepted; this is not a forward proxy',
    ),
    ...answer('wharf_host', 400, 'Bad Request: missing, repeated or malformed Host header'),
    // Refusals of malformed requests close the connection: what follows may not be framed as
    // the client meant it (the built-in plane's parser closes too).
    ...answer('wharf_version', 505, 'HTTP Version Not Supported: only HTTP/1.0, 1.1 and 2', CLOSE),
    ...answer('wharf_malformed', 400, 'Bad Request: control characters in a header value', CLOSE),
    ...answer('wharf_method', 400, 'Bad Request: unknown method', CLOSE),
    ...answer(
      'wharf_transfer_encoding',
      501,
      'Not Implemented: Transfer-Encoding other than "chunked" is not supported',
      CLOSE,
    ),
    ...answer('wharf_no_route', 404, 'Not Found: no route for %[var(txn.host)]%[pathq,bytes(0,200)]'),
    'backend wharf_handover',
    '  http-request set-header x-wharf-https 1 if { var(txn.https) -m bool }',
    `  server handover unix@${file(RUNTIME_FILES.handover)} send-proxy-v2`,
    '',
    ...(tls ? tlsFront(tls, address(tls.listen), file, map, input.headersTimeoutMs) : []),
  ];
  for (const slot of input.slots) {
    lines.push(`backend ${slot.name}`, '  balance roundrobin', '  option allbackups');
    if (input.routeWaitMs > 0) {
      // A route between its last endpoint and the next (a redeploy): wait for one to appear.
      lines.push(
        `  http-request lua.wharf_wait_for_endpoint ${Math.ceil(input.routeWaitMs)} if { nbsrv eq 0 } !{ stopping } { var(txn.slot),map(${map('held')}) -m found }`,
      );
    }
    lines.push(
      // A worker stopping after a reload marks its backends stopped (nbsrv 0) but still answers
      // requests on its open keep-alive connections: those must still reach the servers.
      '  http-request set-var(txn.wharf_answer) bool(true) if { nbsrv eq 0 } !{ stopping }',
      `  http-request return status 503 ${TEXT} ${RETRY} lf-string "503 Service Unavailable: no serving endpoint for %[var(txn.slot),map(${map('slots')})] (request id %[unique-id])\\n" if { nbsrv eq 0 } !{ stopping }`,
    );
    for (const server of slot.servers) lines.push(`  ${serverLine(server, input.ejectionMs)}`);
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The TLS port: a TCP front reads each connection's ClientHello before TLS starts (as the
 * built-in plane does). ACME TLS-ALPN-01 validations (`acme-tls/1`) go to the edge's responder;
 * plain HTTP is answered 400 in clear text; a name no certificate covers is refused (the
 * handshake fails) unless a default certificate is set; anything else that is not a
 * ClientHello within the header timeout is closed. The rest goes, with the client's address
 * (PROXY protocol), to the HTTPS bind of the main frontend.
 */
function tlsFront(
  tls: HaproxyTlsInput,
  listen: string,
  file: (name: string) => string,
  map: (name: keyof typeof RUNTIME_FILES) => string,
  headersTimeoutMs: number,
): string[] {
  return [
    'frontend wharf_tls',
    '  mode tcp',
    '  no log',
    `  bind ${listen}`,
    `  tcp-request inspect-delay ${Math.max(1, Math.ceil(headersTimeoutMs))}ms`,
    '  acl wharf_hello req.ssl_hello_type 1',
    '  acl wharf_acme req.ssl_alpn acme-tls/1',
    `  acl wharf_sni_known req.ssl_sni,lower,map_str(${map('sni')}) -m found`,
    `  acl wharf_sni_wildcard req.ssl_sni,lower,regsub(^[^.]+[.],),map_str(${map('sniWildcards')}) -m found`,
    `  acl wharf_tls_default str(tls_default),map(${map('state')}) -m str 1`,
    '  tcp-request content accept if HTTP',
    '  tcp-request content reject unless wharf_hello',
    '  tcp-request content reject unless wharf_acme or wharf_sni_known or wharf_sni_wildcard or wharf_tls_default',
    '  tcp-request content accept',
    '  use_backend wharf_plain_on_tls if HTTP',
    '  use_backend wharf_acme_alpn if wharf_acme',
    '  default_backend wharf_tls_terminate',
    '',
    'backend wharf_tls_terminate',
    '  mode tcp',
    '  no log',
    `  server tls unix@${file(RUNTIME_FILES.tls)} send-proxy-v2`,
    '',
    'backend wharf_acme_alpn',
    '  mode tcp',
    '  no log',
    `  server responder 127.0.0.1:${tls.alpnResponderPort}`,
    '',
    'backend wharf_plain_on_tls',
    '  mode tcp',
    '  no log',
    `  server plain unix@${file(RUNTIME_FILES.plainOnTls)} send-proxy-v2`,
    '',
    'frontend wharf_plain_on_tls',
    '  mode http',
    '  no log',
    `  bind unix@${file(RUNTIME_FILES.plainOnTls)} accept-proxy mode 600`,
    `  http-request return status 400 ${TEXT} ${CLOSE} string "${PLAIN_HTTP_ON_TLS_MESSAGE}\\r\\n"`,
    '',
  ];
}

function answer(backend: string, status: number, text: string, extra = ''): string[] {
  return [
    `backend ${backend}`,
    '  http-request set-var(txn.wharf_answer) bool(true)',
    `  http-request return status ${status} ${TEXT}${extra ? ` ${extra}` : ''} lf-string "${status} ${text.replaceAll('"', '\\"')} (request id %[unique-id])\\n"`,
    '',
  ];
}

/** A map file: one `key value` line per entry, in the order given. */
export function renderMapFile(entries: Iterable<readonly [string, string]>): string {
  let text = '';
  for (const [key, value] of entries) text += `${key} ${value}\n`;
  return text;
}
