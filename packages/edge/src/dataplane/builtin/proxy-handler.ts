import {
  type ClientRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  request,
  type ServerResponse,
} from 'node:http';
import type { BlockList, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '@wharf/core';
import { silentLogger } from '@wharf/core';
import { ProxyServer } from 'http-proxy-3';
import { normaliseHost } from '../../routing/host-name.js';
import type { RouteEndpoint, RoutePool, RouteTable } from '../../routing/route-table.js';
import { RouteStats } from '../route-stats.js';
import type { Backend } from './backend.js';
import type { BackendRegistry } from './backend-registry.js';
import { sendError, sendSocketError } from './error-response.js';
import {
  downstreamResponseHeaders,
  type ForwardedFor,
  peerAddress,
  upstreamRequestHeaders,
} from './forwarded-headers.js';
import { RequestIds } from './request-ids.js';
import { StartupGate } from './startup-gate.js';

export interface ProxyHandlerOptions {
  /** The current table; read once per request. */
  readonly table: () => RouteTable;
  readonly backends: BackendRegistry;
  /** Peers whose `X-Forwarded-*` are kept; undefined trusts nobody. */
  readonly trustedProxies?: BlockList | undefined;
  readonly upstreamTimeoutMs: number;
  /** Further endpoints tried after a connection error (idempotent requests only). */
  readonly maxRetries?: number;
  readonly stats?: RouteStats;
  /** Seconds from sending upstream to its response headers. */
  readonly observeUpstreamLatency?: (seconds: number) => void;
  /** Opens at the first full sync; requests arriving earlier wait for it. Open when omitted. */
  readonly startup?: StartupGate;
  /** How long a request waits for `startup` before it is answered 503. */
  readonly startupWaitMs?: number;
  readonly logger?: Logger;
  readonly now?: () => number;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/** The only transfer coding a request may carry. */
const CHUNKED = /^[ \t]*chunked[ \t]*$/i;

/** Marks an upstream request destroyed by the edge's upstream timeout. */
class UpstreamTimeout extends Error {
  readonly code = 'WHARF_UPSTREAM_TIMEOUT';
}

/** One client request as it is forwarded, possibly to several endpoints in turn. */
interface Exchange {
  readonly handler: ProxyHandler;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly pool: RoutePool;
  readonly headers: OutgoingHttpHeaders;
  readonly requestId: string;
  readonly hasBody: boolean;
  readonly retryable: boolean;
  tried: RouteEndpoint[] | undefined;
  upstream: ClientRequest | undefined;
  /** The client's response is finished or the client went away. */
  done: boolean;
}

/** One try of an exchange against one endpoint. */
interface Attempt {
  readonly exchange: Exchange;
  readonly endpoint: RouteEndpoint;
  readonly backend: Backend;
  readonly started: number;
  readonly upstream: ClientRequest;
  connected: boolean;
  responded: boolean;
}

// Per-request state rides on the emitters, so the listeners below are shared functions rather
// than closures allocated for every request (the request path is dominated by Node's HTTP
// stack; this keeps the edge's own share small).
const ATTEMPT = Symbol('wharf.attempt');
const EXCHANGE = Symbol('wharf.exchange');
type WithAttempt<T> = T & { [ATTEMPT]?: Attempt };
type WithExchange<T> = T & { [EXCHANGE]?: Exchange };

function onClientClose(this: WithExchange<ServerResponse>): void {
  const exchange = this[EXCHANGE]!;
  // The client went away before the response was complete: cancel the upstream request.
  if (!exchange.done && !this.writableFinished) exchange.upstream?.destroy();
  exchange.done = true;
}

function onUpstreamClose(this: WithAttempt<ClientRequest>): void {
  this[ATTEMPT]!.backend.active -= 1;
}

function onUpstreamTimeout(this: ClientRequest): void {
  this.destroy(new UpstreamTimeout('upstream timed out'));
}

function onUpstreamResponse(this: WithAttempt<ClientRequest>, upstreamRes: IncomingMessage): void {
  const attempt = this[ATTEMPT]!;
  attempt.responded = true;
  attempt.exchange.handler.respond(attempt, upstreamRes);
}

function onUpstreamError(this: WithAttempt<ClientRequest>, error: NodeJS.ErrnoException): void {
  const attempt = this[ATTEMPT]!;
  attempt.exchange.handler.upstreamFailed(attempt, this, error);
}

// A 101 to a request that asked for no upgrade: without this listener Node destroys the socket
// and the request never settles (the client would wait forever).
function onUnexpectedUpgrade(this: WithAttempt<ClientRequest>, _res: IncomingMessage, socket: Socket): void {
  socket.destroy();
  const attempt = this[ATTEMPT]!;
  attempt.exchange.handler.invalidResponse(
    attempt,
    '101 Switching Protocols to a request that asked for no upgrade',
  );
}

function onUpstreamBodyError(this: WithExchange<IncomingMessage>): void {
  // The backend broke off mid-body: cut the client's response so it sees that too.
  this[EXCHANGE]!.res.destroy();
}

function onUpstreamSocket(this: WithAttempt<ClientRequest>, socket: Socket): void {
  const attempt = this[ATTEMPT]!;
  if (socket.connecting) socket.once('connect', () => onConnected(attempt));
  else onConnected(attempt);
}

// Only requests with a body listen for the connection: their body is streamed once it is up,
// so a refused connection leaves it unread and the request can go to another endpoint.
function onConnected(attempt: Attempt): void {
  attempt.connected = true;
  if (!attempt.upstream.destroyed) attempt.exchange.req.pipe(attempt.upstream);
}

/**
 * The edge's request path: validate the target and Host, route through the current table,
 * pick an endpoint (smooth weighted round-robin, ejected backends skipped), forward over that
 * backend's keep-alive pool, and map failures to 502/503/504. Nothing here logs per request or
 * scans the table.
 */
export class ProxyHandler {
  readonly #table: () => RouteTable;
  readonly #backends: BackendRegistry;
  readonly #trusted: BlockList | undefined;
  readonly #timeoutMs: number;
  readonly #maxRetries: number;
  readonly #stats: RouteStats;
  readonly #observe: ((seconds: number) => void) | undefined;
  readonly #startup: StartupGate;
  readonly #startupWaitMs: number;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #ids = new RequestIds();
  readonly #ws: ProxyServer;
  /** Client sockets of open WebSocket (upgraded) connections. */
  readonly upgraded = new Set<Duplex>();
  #healthNow = 0;
  readonly #isHealthy = (endpoint: RouteEndpoint): boolean => {
    const backend = this.#backends.peek(endpoint.backendKey);
    return backend === undefined || !backend.health.isEjected(this.#healthNow);
  };

  constructor(options: ProxyHandlerOptions) {
    this.#table = options.table;
    this.#backends = options.backends;
    this.#trusted = options.trustedProxies;
    this.#timeoutMs = options.upstreamTimeoutMs;
    this.#maxRetries = options.maxRetries ?? 2;
    this.#stats = options.stats ?? new RouteStats();
    this.#observe = options.observeUpstreamLatency;
    this.#startup = options.startup ?? new StartupGate(true);
    this.#startupWaitMs = options.startupWaitMs ?? 5_000;
    this.#logger = (options.logger ?? silentLogger).child({ component: 'proxy' });
    this.#now = options.now ?? Date.now;
    this.#ws = new ProxyServer({ ws: true, xfwd: false, prependPath: false });
    // Errors are handled per upgrade (callback below); this keeps stray ones from throwing.
    this.#ws.on('error', () => {});
  }

  get stats(): RouteStats {
    return this.#stats;
  }

  /** `request` listener of the public server. */
  readonly handleRequest = (req: IncomingMessage, res: ServerResponse): void => {
    if (this.#startup.isOpen) this.#handleRequest(req, res);
    else
      void this.#startup.wait(this.#startupWaitMs).then((open) => {
        if (res.destroyed) return;
        if (open) this.#handleRequest(req, res);
        else this.#notReady(this.#ids.next(), res, undefined);
      });
  };

  /** `upgrade` listener (WebSocket): same routing, then http-proxy-3 pipes the two sockets. */
  readonly handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    if (this.#startup.isOpen) this.#handleUpgrade(req, socket, head);
    else
      void this.#startup.wait(this.#startupWaitMs).then((open) => {
        if (socket.destroyed) return;
        if (open) this.#handleUpgrade(req, socket, head);
        else this.#notReady(this.#ids.next(), undefined, socket);
      });
  };

  /** `connect` listener: CONNECT is refused, the edge is not a forward proxy. */
  readonly handleConnect = (_req: IncomingMessage, socket: Duplex): void => {
    socket.on('error', () => socket.destroy());
    this.#stats.record(RouteStats.UNROUTED, 405);
    sendSocketError(socket, 405, 'CONNECT is not supported: this is not a forward proxy', this.#ids.next());
  };

  #notReady(requestId: string, res: ServerResponse | undefined, socket: Duplex | undefined): void {
    const reason = 'not ready: the first sync with the registry has not completed';
    this.#stats.record(RouteStats.UNROUTED, 503);
    if (res) sendError(res, 503, reason, requestId);
    else if (socket) sendSocketError(socket, 503, reason, requestId);
  }

  #handleRequest(req: IncomingMessage, res: ServerResponse): void {
    const requestId = this.#ids.next();
    if (req.httpVersionMajor !== 1 || req.httpVersionMinor > 1) {
      // Node's parser also takes `HTTP/0.9` and `HTTP/2.0` request lines, framed as HTTP/1.1; a
      // peer in front of the edge may read them otherwise (HTTP/0.9 has no headers).
      res.shouldKeepAlive = false;
      this.#stats.record(RouteStats.UNROUTED, 505);
      sendError(res, 505, `HTTP/${req.httpVersion} is not supported: only HTTP/1.0 and HTTP/1.1`, requestId);
      return;
    }
    const transferEncoding = req.headers['transfer-encoding'];
    if (transferEncoding !== undefined && !CHUNKED.test(transferEncoding)) {
      // Node's parser takes any list that ends in `chunked` (`,chunked`, `gzip, chunked`); a
      // peer in front of the edge may frame such a body differently. Refused, as nginx does.
      res.shouldKeepAlive = false;
      this.#stats.record(RouteStats.UNROUTED, 501);
      sendError(res, 501, 'Transfer-Encoding other than "chunked" is not supported', requestId);
      return;
    }
    const pool = this.#route(req, requestId, res, undefined);
    if (pool === undefined) return;
    const method = req.method ?? 'GET';
    const headers = upstreamRequestHeaders(req.headers, this.#forwardedFor(req, requestId, false));
    const hasBody =
      req.headers['transfer-encoding'] !== undefined || (Number(req.headers['content-length']) || 0) > 0;
    const exchange: Exchange = {
      handler: this,
      req,
      res,
      pool,
      headers,
      requestId,
      hasBody,
      retryable: IDEMPOTENT.has(method),
      tried: undefined,
      upstream: undefined,
      done: false,
    };
    (res as WithExchange<ServerResponse>)[EXCHANGE] = exchange;
    res.on('close', onClientClose);
    this.#forward(exchange);
  }

  #handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const requestId = this.#ids.next();
    const pool = this.#route(req, requestId, undefined, socket);
    if (pool === undefined) return;
    this.#healthNow = this.#now();
    const endpoint = pool.balancer.pick(this.#isHealthy);
    if (endpoint === undefined) {
      this.#stats.record(pool.id, 503);
      sendSocketError(socket, 503, `no serving endpoint for ${pool.id}`, requestId);
      return;
    }
    req.headers = upstreamRequestHeaders(
      req.headers,
      this.#forwardedFor(req, requestId, true),
    ) as typeof req.headers;
    this.upgraded.add(socket);
    socket.once('close', () => this.upgraded.delete(socket));
    const target = { protocol: 'http:', host: endpoint.address, port: endpoint.port };
    // The backend's agent resolves DNS names through the edge's address check; Node takes an
    // upgraded socket out of the agent's pool.
    const agent = this.#backends.peek(endpoint.backendKey)?.agent;
    this.#stats.record(pool.id, 101);
    this.#ws.ws(req, socket, head, { target, agent }, (error: Error) => {
      this.#logger.debug({ err: error, route: pool.id }, 'websocket upstream failed');
      if (!socket.destroyed)
        sendSocketError(socket, 502, `upstream ${endpoint.backendKey} failed`, requestId);
    });
  }

  #route(
    req: IncomingMessage,
    requestId: string,
    res: ServerResponse | undefined,
    socket: Duplex | undefined,
  ): RoutePool | undefined {
    const url = req.url ?? '';
    let status = 0;
    let reason = '';
    let pool: RoutePool | undefined;
    if (url.charCodeAt(0) !== 47 /* / */) {
      status = 400;
      reason = 'only origin-form request targets (/path) are accepted; this is not a forward proxy';
    } else {
      const host = hasOneHost(req.rawHeaders) ? normaliseHost(req.headers.host) : undefined;
      if (host === undefined) {
        status = 400;
        reason = 'missing, repeated or malformed Host header';
      } else {
        pool = this.#table().match(host, url);
        if (pool === undefined) {
          status = 404;
          reason = `no route for ${host}${url.length > 200 ? url.slice(0, 200) : url}`;
        } else if (!pool.routable) {
          status = 503;
          reason = `no serving endpoint for ${pool.id}`;
        }
      }
    }
    if (status === 0) return pool;
    this.#stats.record(pool?.id ?? RouteStats.UNROUTED, status);
    if (res) sendError(res, status, reason, requestId);
    else if (socket) sendSocketError(socket, status, reason, requestId);
    return undefined;
  }

  #forwardedFor(req: IncomingMessage, requestId: string, upgrade: boolean): ForwardedFor {
    const peer = peerAddress(req.socket.remoteAddress);
    const trusted =
      this.#trusted !== undefined &&
      peer !== '' &&
      this.#trusted.check(peer, peer.includes(':') ? 'ipv6' : 'ipv4');
    const encrypted = (req.socket as { encrypted?: boolean }).encrypted === true;
    return {
      peer,
      trusted,
      host: req.headers.host ?? '',
      proto: encrypted ? 'https' : 'http',
      requestId,
      upgrade,
    };
  }

  #forward(exchange: Exchange): void {
    const { pool, req } = exchange;
    this.#healthNow = this.#now();
    const endpoint = pool.balancer.pick(this.#isHealthy, exchange.tried);
    if (endpoint === undefined) {
      // Only reachable after a failed attempt: the first pick of a routable pool always succeeds.
      this.#finishWithError(exchange, 502, `no endpoint of ${pool.id} accepted the connection`);
      return;
    }
    const backend = this.#backends.peek(endpoint.backendKey);
    if (backend === undefined) {
      // Retired by a newer table since this request was routed (only possible on a retry).
      exchange.tried ??= [];
      exchange.tried.push(endpoint);
      this.#forward(exchange);
      return;
    }
    // `timeout` is applied to the socket itself (no timer per request): inactivity while
    // connecting, then between response bytes, emits 'timeout' on the request.
    const upstream: WithAttempt<ClientRequest> = request({
      host: endpoint.address,
      port: endpoint.port,
      method: req.method,
      path: req.url,
      headers: exchange.headers,
      agent: backend.agent,
      setHost: false,
      timeout: this.#timeoutMs,
    });
    const attempt: Attempt = {
      exchange,
      endpoint,
      backend,
      started: performance.now(),
      upstream,
      connected: false,
      responded: false,
    };
    upstream[ATTEMPT] = attempt;
    exchange.upstream = upstream;
    backend.active += 1;
    upstream.on('close', onUpstreamClose);
    upstream.on('timeout', onUpstreamTimeout);
    upstream.on('response', onUpstreamResponse);
    upstream.on('error', onUpstreamError);
    upstream.on('upgrade', onUnexpectedUpgrade);
    if (exchange.hasBody) upstream.on('socket', onUpstreamSocket);
    else upstream.end();
  }

  /** The upstream response headers arrived: pass them on and stream the body. */
  respond(attempt: Attempt, upstreamRes: IncomingMessage): void {
    const { exchange, backend } = attempt;
    backend.health.recordSuccess();
    this.#observe?.((performance.now() - attempt.started) / 1_000);
    if (exchange.done) {
      upstreamRes.resume();
      return;
    }
    const res = exchange.res;
    const status = upstreamRes.statusCode ?? 502;
    const headers = downstreamResponseHeaders(upstreamRes.headers);
    headers['x-request-id'] = exchange.requestId;
    this.#stats.record(exchange.pool.id, status);
    res.writeHead(status, upstreamRes.statusMessage, headers);
    (upstreamRes as WithExchange<IncomingMessage>)[EXCHANGE] = exchange;
    upstreamRes.on('error', onUpstreamBodyError);
    upstreamRes.pipe(res);
  }

  /** The upstream request failed: retry on another endpoint when that is safe, else 502/504. */
  upstreamFailed(attempt: Attempt, upstream: ClientRequest, error: NodeJS.ErrnoException): void {
    const { exchange, backend, endpoint } = attempt;
    if (attempt.responded) {
      exchange.res.destroy();
      return;
    }
    if (exchange.done) return;
    if (error.code?.startsWith('HPE_')) {
      // Node's parser refused the response (two Content-Lengths, a bad status line…): the
      // backend answered, wrongly. Not retried: it has seen the request.
      this.invalidResponse(attempt, (error as { reason?: string }).reason ?? error.message);
      return;
    }
    if (error instanceof UpstreamTimeout) {
      // Timed out while connecting: the backend is unreachable, not merely slow.
      const connecting = (upstream.socket as Socket | null)?.connecting ?? !attempt.connected;
      if (connecting) backend.health.recordFailure(this.#now());
      this.#stats.recordFailure('timeout');
      this.#finishWithError(exchange, 504, `upstream ${endpoint.backendKey} did not answer in time`);
      return;
    }
    backend.health.recordFailure(this.#now());
    this.#stats.recordFailure(attempt.connected ? 'reset' : 'connect');
    // A request with a body may go elsewhere only if its connection never came up (the body is
    // streamed after it). One without a body may go elsewhere whenever no response came: the
    // connection was refused, or it broke before the response (a pooled socket the backend was
    // closing, a backend shutting down in a rolling restart). Idempotent methods only, since
    // the backend may have seen the request.
    const replayable = !exchange.hasBody || !attempt.connected;
    const attempts = exchange.tried?.length ?? 0;
    if (replayable && exchange.retryable && attempts < this.#maxRetries) {
      exchange.tried ??= [];
      exchange.tried.push(endpoint);
      if (exchange.hasBody) exchange.req.unpipe(upstream);
      this.#forward(exchange);
      return;
    }
    this.#finishWithError(
      exchange,
      502,
      `upstream ${endpoint.backendKey} failed: ${error.code ?? error.message}`,
    );
  }

  /** The backend answered with something that is not a usable HTTP response: 502, counted as failing. */
  invalidResponse(attempt: Attempt, reason: string): void {
    const { exchange, backend, endpoint } = attempt;
    backend.health.recordFailure(this.#now());
    this.#stats.recordFailure('invalid_response');
    attempt.upstream.destroy();
    this.#finishWithError(
      exchange,
      502,
      `upstream ${endpoint.backendKey} sent an invalid response: ${reason}`,
    );
  }

  #finishWithError(exchange: Exchange, status: number, reason: string): void {
    if (exchange.done) return;
    exchange.done = true;
    this.#stats.record(exchange.pool.id, status);
    sendError(exchange.res, status, reason, exchange.requestId);
  }

  /** Closes every open WebSocket (shutdown). */
  closeUpgraded(): void {
    for (const socket of this.upgraded) socket.end();
  }
}

/**
 * False when `Host` is missing or sent more than once (Node keeps the first copy of a repeated
 * Host in `req.headers`; which one a backend or another proxy would use is anyone's guess).
 */
function hasOneHost(raw: readonly string[]): boolean {
  let count = 0;
  for (let index = 0; index < raw.length; index += 2) {
    const name = raw[index]!;
    if (name.length === 4 && (name === 'Host' || name === 'host' || name.toLowerCase() === 'host'))
      count += 1;
  }
  return count === 1;
}
