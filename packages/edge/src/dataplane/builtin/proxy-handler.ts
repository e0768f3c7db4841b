import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BlockList, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '@wharf/core';
import { silentLogger } from '@wharf/core';
import type { Dispatcher } from 'undici';
import { normaliseHost } from '../../routing/host-name.js';
import type { RouteEndpoint, RoutePool, RouteTable } from '../../routing/route-table.js';
import type { ChallengeSet } from '../../tls/challenge-set.js';
import type { AccessLog } from '../access-log.js';
import { RouteStats } from '../route-stats.js';
import type { Backend } from './backend.js';
import type { BackendRegistry } from './backend-registry.js';
import { sendError, sendSocketError } from './error-response.js';
import { EXCHANGE, Exchange, type WithExchange } from './exchange.js';
import {
  downstreamResponseHeaders,
  type ForwardedFor,
  peerAddress,
  upstreamRequestHeaders,
} from './forwarded-headers.js';
import { HostChanges } from './host-changes.js';
import {
  answerHttpChallenge,
  hstsHeader,
  isEncrypted,
  isHttp2Request,
  redirectToHttps,
  wantsHttpsRedirect,
} from './https-answers.js';
import { RequestIds } from './request-ids.js';
import { StartupGate } from './startup-gate.js';
import { UpstreamAttempt } from './upstream-attempt.js';
import {
  BackendLostError,
  ClientGoneError,
  classifyUpstreamError,
  InvalidUpstreamResponseError,
} from './upstream-failure.js';

export interface ProxyHandlerOptions {
  /** The current table; read once per request (again after a wait). */
  readonly table: () => RouteTable;
  readonly backends: BackendRegistry;
  /** Peers whose `X-Forwarded-*` are kept; undefined trusts nobody. */
  readonly trustedProxies?: BlockList | undefined;
  /** Further endpoints tried after a connection error (idempotent requests only). */
  readonly maxRetries?: number;
  readonly stats?: RouteStats;
  /** Seconds from sending upstream to its response headers. */
  readonly observeUpstreamLatency?: (seconds: number) => void;
  /** Opens at the first full sync; requests arriving earlier wait for it. Open when omitted. */
  readonly startup?: StartupGate;
  /** How long a request waits for `startup` before it is answered 503. */
  readonly startupWaitMs?: number;
  /** Tables that changed a host wake the requests waiting on its routes (see `routeWaitMs`). */
  readonly changes?: HostChanges;
  /**
   * How long a request to a held route (its last serving endpoint just went away) waits for a
   * serving endpoint in a newer table before its 503; 0 answers at once.
   */
  readonly routeWaitMs?: number;
  /** One line per request, when the access log is on. */
  readonly accessLog?: AccessLog | undefined;
  readonly logger?: Logger;
  readonly now?: () => number;
  /** The ACME HTTP-01 challenges to answer on the plain listener (`tls/`); none when omitted. */
  readonly challenges?: () => ChallengeSet;
  /** The port clients reach HTTPS on, for redirects (`WHARF_TLS_REDIRECT_PORT`). */
  readonly httpsPort?: number;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/** The only transfer coding a request may carry. */
const CHUNKED = /^[ \t]*chunked[ \t]*$/i;

/**
 * How long a replayable request whose every endpoint failed waits for the registry to catch up
 * before its 502: a container killed under it (`docker rm -f`) is drained or deleted within
 * milliseconds, after which the request waits on the held route for the replacement.
 */
const SETTLE_MS = 1_000;

/** What the edge answers a parser error with, by Node's error code (the rest: 400). */
const CLIENT_ERRORS: Readonly<Record<string, readonly [number, string]>> = {
  HPE_HEADER_OVERFLOW: [431, 'request headers too large'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'chunk extensions too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request headers not complete in time'],
};

function onClientClose(this: WithExchange<ServerResponse>): void {
  const exchange = this[EXCHANGE]!;
  // The client went away before the response was complete: cancel the upstream request.
  if (!this.writableFinished) exchange.attempt?.cancel();
  exchange.done = true;
  exchange.proxy.logExchange(exchange);
}

/**
 * The edge's request path: validate the target and Host, route through the current table,
 * pick an endpoint (smooth weighted round-robin, ejected backends skipped), forward over that
 * backend's keep-alive pool (undici), and map failures to 502/503/504. WebSocket handshakes go
 * the same way and become tunnels. Nothing here logs per request (but the access log) or scans
 * the table.
 */
export class ProxyHandler {
  readonly #table: () => RouteTable;
  readonly #backends: BackendRegistry;
  readonly #trusted: BlockList | undefined;
  readonly #maxRetries: number;
  readonly #stats: RouteStats;
  readonly #observe: ((seconds: number) => void) | undefined;
  readonly #startup: StartupGate;
  readonly #startupWaitMs: number;
  readonly #changes: HostChanges;
  readonly #routeWaitMs: number;
  readonly #accessLog: AccessLog | undefined;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #ids = new RequestIds();
  readonly #challenges: (() => ChallengeSet) | undefined;
  readonly #httpsPort: number;
  /** Client sockets of open WebSocket tunnels. */
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
    this.#maxRetries = options.maxRetries ?? 2;
    this.#stats = options.stats ?? new RouteStats();
    this.#observe = options.observeUpstreamLatency;
    this.#startup = options.startup ?? new StartupGate(true);
    this.#startupWaitMs = options.startupWaitMs ?? 5_000;
    this.#changes = options.changes ?? new HostChanges();
    this.#routeWaitMs = options.routeWaitMs ?? 0;
    this.#accessLog = options.accessLog;
    this.#logger = (options.logger ?? silentLogger).child({ component: 'proxy' });
    this.#now = options.now ?? Date.now;
    this.#challenges = options.challenges;
    this.#httpsPort = options.httpsPort ?? 443;
  }

  get stats(): RouteStats {
    return this.#stats;
  }

  /** `request` listener of the public server. */
  readonly handleRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const exchange = new Exchange(this, req, res, undefined, undefined, this.#ids.next(), this.#arrival());
    (res as WithExchange<ServerResponse>)[EXCHANGE] = exchange;
    res.on('close', onClientClose);
    if (this.#startup.isOpen) this.#handleRequest(exchange);
    else void this.#startup.wait(this.#startupWaitMs).then((open) => this.#afterStartup(exchange, open));
  };

  /** `upgrade` listener for WebSocket handshakes: same routing, then a tunnel to the backend. */
  readonly handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const exchange = new Exchange(this, req, undefined, socket, head, this.#ids.next(), this.#arrival());
    socket.on('error', () => socket.destroy());
    socket.once('close', () => {
      if (!exchange.done) exchange.attempt?.cancel();
      exchange.done = true;
      this.logExchange(exchange);
    });
    if (this.#startup.isOpen) this.#handleUpgrade(exchange);
    else void this.#startup.wait(this.#startupWaitMs).then((open) => this.#afterStartup(exchange, open));
  };

  /** `connect` listener: CONNECT is refused, the edge is not a forward proxy. */
  readonly handleConnect = (req: IncomingMessage, socket: Duplex): void => {
    const exchange = new Exchange(this, req, undefined, socket, undefined, this.#ids.next(), this.#arrival());
    socket.on('error', () => socket.destroy());
    this.#answer(exchange, 405, 'CONNECT is not supported: this is not a forward proxy');
    this.logExchange(exchange);
  };

  /**
   * `clientError` listener: what Node answers a request its parser refused (400, 408, 413, 431),
   * with a request id, counted, and in the access log.
   */
  readonly handleClientError = (error: NodeJS.ErrnoException, socket: Duplex): void => {
    const pending = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (!socket.writable || pending?.headersSent) {
      socket.destroy();
      return;
    }
    const [status, reason] = CLIENT_ERRORS[error.code ?? ''] ?? [
      400,
      `malformed request (${error.code ?? 'error'})`,
    ];
    const requestId = this.#ids.next();
    this.#stats.record(RouteStats.UNROUTED, status);
    const bytes = sendSocketError(socket, status, reason, requestId);
    (socket as Socket).destroySoon?.();
    if (this.#accessLog === undefined) return;
    const now = Date.now();
    this.#accessLog.write({
      time: new Date(now).toISOString(),
      client: peerAddress((socket as Socket).remoteAddress),
      method: '',
      host: '',
      path: '',
      status,
      bytes,
      durationMs: 0,
      endpoint: null,
      retries: 0,
      requestId,
    });
  };

  #arrival(): number {
    return this.#accessLog === undefined ? 0 : Date.now();
  }

  #afterStartup(exchange: Exchange, open: boolean): void {
    if (exchange.done) return;
    if (!open) this.#answer(exchange, 503, 'not ready: the first sync with the registry has not completed');
    else if (exchange.upgrade) this.#handleUpgrade(exchange);
    else this.#handleRequest(exchange);
  }

  #handleRequest(exchange: Exchange): void {
    const req = exchange.req;
    if ((req.httpVersionMajor !== 1 || req.httpVersionMinor > 1) && !isHttp2Request(req)) {
      // Node's parser also takes `HTTP/0.9` and `HTTP/2.0` request lines, framed as HTTP/1.1; a
      // peer in front of the edge may read them otherwise (HTTP/0.9 has no headers).
      exchange.res!.shouldKeepAlive = false;
      this.#answer(exchange, 505, `HTTP/${req.httpVersion} is not supported: only HTTP/1.0 and HTTP/1.1`);
      return;
    }
    const transferEncoding = req.headers['transfer-encoding'];
    if (transferEncoding !== undefined && !CHUNKED.test(transferEncoding)) {
      // Node's parser takes any list that ends in `chunked` (`,chunked`, `gzip, chunked`); a
      // peer in front of the edge may frame such a body differently. Refused, as nginx does.
      exchange.res!.shouldKeepAlive = false;
      this.#answer(exchange, 501, 'Transfer-Encoding other than "chunked" is not supported');
      return;
    }
    const res = exchange.res!;
    if (
      this.#challenges !== undefined &&
      !isEncrypted(req) &&
      answerHttpChallenge(req, res, this.#challenges())
    ) {
      exchange.done = true;
      exchange.status = 200;
      this.#stats.record(RouteStats.UNROUTED, 200);
      return;
    }
    const pool = this.#route(exchange);
    if (pool === undefined) return;
    if (wantsHttpsRedirect(pool, req)) {
      exchange.done = true;
      exchange.status = 308;
      this.#stats.record(pool.id, 308);
      redirectToHttps(res, exchange.host, req.url ?? '/', this.#httpsPort, exchange.requestId);
      return;
    }
    exchange.headers = upstreamRequestHeaders(req.headers, this.#forwardedFor(req, exchange.requestId));
    exchange.hasBody = transferEncoding !== undefined || (Number(req.headers['content-length']) || 0) > 0;
    exchange.retryable = IDEMPOTENT.has(req.method ?? 'GET');
    this.#start(exchange, pool);
  }

  #handleUpgrade(exchange: Exchange): void {
    const pool = this.#route(exchange);
    if (pool === undefined) return;
    exchange.headers = upstreamRequestHeaders(
      exchange.req.headers,
      this.#forwardedFor(exchange.req, exchange.requestId),
    );
    // A handshake is a GET without a body: replayable while no backend answered it.
    exchange.retryable = true;
    this.#start(exchange, pool);
  }

  /** The routed pool: forward now, or wait on a held route, or answer 503. */
  #start(exchange: Exchange, pool: RoutePool): void {
    exchange.pool = pool;
    if (pool.routable) {
      this.#forward(exchange);
      return;
    }
    const now = this.#now();
    if (pool.heldUntil > now && this.#routeWaitMs > 0) {
      // It waits at most until the route is forgotten: it arrived while the host was known.
      exchange.held = true;
      exchange.waitUntil = Math.min(now + this.#routeWaitMs, pool.heldUntil);
      this.#awaitTable(exchange);
      return;
    }
    this.#answer(exchange, 503, `no serving endpoint for ${pool.id}`);
  }

  /** Validates the target and Host and finds the pool; answers 400/404 itself (then undefined). */
  #route(exchange: Exchange): RoutePool | undefined {
    const req = exchange.req;
    const url = req.url ?? '';
    if (url.charCodeAt(0) !== 47 /* / */) {
      this.#answer(
        exchange,
        400,
        'only origin-form request targets (/path) are accepted; this is not a forward proxy',
      );
      return undefined;
    }
    const host = requestHost(req);
    if (host === undefined) {
      this.#answer(exchange, 400, 'missing, repeated or malformed Host header');
      return undefined;
    }
    exchange.host = host;
    const pool = this.#table().match(host, url);
    if (pool === undefined) {
      this.#answer(exchange, 404, `no route for ${host}${url.length > 200 ? url.slice(0, 200) : url}`);
      return undefined;
    }
    return pool;
  }

  #forwardedFor(req: IncomingMessage, requestId: string): ForwardedFor {
    const peer = peerAddress(req.socket.remoteAddress);
    const trusted =
      this.#trusted !== undefined &&
      peer !== '' &&
      this.#trusted.check(peer, peer.includes(':') ? 'ipv6' : 'ipv4');
    const host = (isHttp2Request(req) ? authority(req) : undefined) ?? req.headers.host ?? '';
    return { peer, trusted, host, proto: isEncrypted(req) ? 'https' : 'http', requestId };
  }

  #forward(exchange: Exchange): void {
    const pool = exchange.pool!;
    this.#healthNow = this.#now();
    const endpoint = pool.balancer.pick(this.#isHealthy, exchange.tried);
    if (endpoint === undefined) {
      // Only after failed attempts: the first pick of a routable pool always succeeds.
      this.#noEndpointLeft(exchange);
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
    const attempt = new UpstreamAttempt(this, exchange, endpoint, backend);
    exchange.attempt = attempt;
    exchange.endpoint = endpoint;
    backend.active += 1;
    backend.awaiting.add(attempt);
    const req = exchange.req;
    backend.pool.dispatch(
      {
        path: req.url!,
        method: req.method as Dispatcher.HttpMethod,
        headers: exchange.headers,
        body: attempt.body,
        upgrade: exchange.upgrade ? (req.headers.upgrade ?? 'websocket') : null,
      },
      attempt,
    );
  }

  /**
   * Every endpoint this request may still try has failed. The registry may be about to say why
   * (a container killed under it is drained or deleted within milliseconds, and then the route
   * is held for its replacement): a replayable request waits briefly for that, then gets 502.
   */
  #noEndpointLeft(exchange: Exchange): void {
    const now = this.#now();
    if (exchange.waitUntil === 0) exchange.waitUntil = now + Math.min(SETTLE_MS, this.#routeWaitMs);
    if (exchange.waitUntil > now) {
      this.#awaitTable(exchange);
      return;
    }
    this.#answer(
      exchange,
      502,
      exchange.failure ?? `no endpoint of ${exchange.pool!.id} accepted the connection`,
    );
  }

  /** Waits for a newer table that changes this request's host, then routes it again. */
  #awaitTable(exchange: Exchange): void {
    void this.#changes
      .wait(exchange.pool!.host, exchange.waitUntil - this.#now())
      .then(() => this.#reroute(exchange));
  }

  #reroute(exchange: Exchange): void {
    if (exchange.done) return;
    const now = this.#now();
    const pool = this.#table().match(exchange.host, exchange.req.url ?? '/');
    if (pool === undefined) {
      // The route's grace ran out while it waited: it arrived while the host was known.
      if (exchange.held) this.#answer(exchange, 503, `no serving endpoint for ${exchange.pool!.id}`);
      else this.#answer(exchange, 404, `no route for ${exchange.host} any more`);
      return;
    }
    exchange.pool = pool;
    if (pool.routable) {
      if (exchange.tried === undefined || now < exchange.waitUntil) this.#forward(exchange);
      else this.#answer(exchange, 502, exchange.failure ?? `no endpoint of ${pool.id} answered`);
      return;
    }
    if (pool.heldUntil > now && !exchange.held && this.#routeWaitMs > 0) {
      // Its endpoints failed and the route is now held: wait for the replacement like a request
      // that arrived now would.
      exchange.held = true;
      exchange.waitUntil = Math.max(exchange.waitUntil, Math.min(now + this.#routeWaitMs, pool.heldUntil));
    }
    if (pool.heldUntil > now && now < exchange.waitUntil) this.#awaitTable(exchange);
    else this.#answer(exchange, 503, `no serving endpoint for ${pool.id}`);
  }

  /** The upstream response headers arrived: pass them on and stream the body. */
  respond(
    attempt: UpstreamAttempt,
    controller: Dispatcher.DispatchController,
    status: number,
    upstreamHeaders: Record<string, string | string[] | undefined>,
    statusMessage: string | undefined,
  ): void {
    const { exchange, backend } = attempt;
    backend.awaiting.delete(attempt);
    if (exchange.done) {
      controller.abort(new ClientGoneError());
      return;
    }
    const headers = downstreamResponseHeaders(upstreamHeaders);
    headers['x-request-id'] = exchange.requestId;
    const hsts =
      exchange.pool!.tls.hsts === undefined || !isEncrypted(exchange.req)
        ? undefined
        : hstsHeader(exchange.pool!);
    if (hsts !== undefined) headers['strict-transport-security'] = hsts;
    try {
      // HTTP/2 has no reason phrase (Node warns when given one).
      if (exchange.res)
        exchange.res.writeHead(
          status,
          isHttp2Request(exchange.req) ? undefined : statusMessage || undefined,
          headers,
        );
      else writeHead(exchange.socket!, status, statusMessage, headers);
    } catch (error) {
      // Node refuses to write what llhttp accepted (a character in a header value): same as a
      // response that does not parse.
      controller.abort(
        new InvalidUpstreamResponseError(`unusable response headers: ${(error as Error).message}`),
      );
      return;
    }
    attempt.responded = true;
    exchange.status = status;
    if (backend.health.recordSuccess())
      this.#logger.info({ backend: backend.key, endpoint: attempt.endpoint.id }, 'backend answering again');
    this.#observe?.((performance.now() - attempt.started) / 1_000);
    this.#stats.record(exchange.pool!.id, status);
  }

  /** The backend accepted a WebSocket handshake: pass its answer on and join the two sockets. */
  tunnel(attempt: UpstreamAttempt, status: number, rawHeaders: readonly Buffer[], upstream: Duplex): void {
    const { exchange, backend } = attempt;
    const client = exchange.socket!;
    if (backend.health.recordSuccess())
      this.#logger.info({ backend: backend.key, endpoint: attempt.endpoint.id }, 'backend answering again');
    this.#observe?.((performance.now() - attempt.started) / 1_000);
    if (exchange.done || client.destroyed) {
      upstream.destroy();
      return;
    }
    exchange.done = true;
    exchange.status = status;
    this.#stats.record(exchange.pool!.id, status);
    let head = `HTTP/1.1 ${status} Switching Protocols\r\n`;
    for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
      const name = rawHeaders[index]!.toString('latin1');
      // The edge's own request id replaces any the backend sent, as on every response.
      if (name.length === 12 && name.toLowerCase() === 'x-request-id') continue;
      head += `${name}: ${rawHeaders[index + 1]!.toString('latin1')}\r\n`;
    }
    client.write(`${head}x-request-id: ${exchange.requestId}\r\n\r\n`, 'latin1');
    if (exchange.head && exchange.head.length > 0) upstream.write(exchange.head);
    (upstream as Socket).setNoDelay?.(true);
    (client as Socket).setNoDelay?.(true);
    (client as Socket).setTimeout?.(0);
    upstream.on('error', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
    client.once('close', () => upstream.destroy());
    if (this.#accessLog !== undefined)
      upstream.on('data', (chunk: Buffer) => {
        exchange.bytes += chunk.length;
      });
    this.upgraded.add(client);
    client.once('close', () => this.upgraded.delete(client));
    upstream.pipe(client);
    client.pipe(upstream);
  }

  /** The upstream attempt failed: retry on another endpoint when that is safe, else 502/504. */
  attemptFailed(attempt: UpstreamAttempt, error: Error): void {
    const { exchange, backend, endpoint } = attempt;
    const failure = classifyUpstreamError(error, attempt.connected);
    if (attempt.responded) {
      // The backend broke off mid-body (or stalled past the upstream timeout): cut the
      // client's response so it sees that too.
      if (failure.kind !== 'cancelled') (exchange.res ?? exchange.socket)?.destroy();
      return;
    }
    if (failure.kind === 'cancelled' || exchange.done) return;
    switch (failure.kind) {
      case 'unforwardable':
        this.#answer(exchange, 400, `the request cannot be forwarded: ${failure.detail}`);
        return;
      case 'invalid_response':
        // Not retried: the backend has seen the request.
        this.#recordFailure(backend, endpoint, failure.kind);
        this.#answer(exchange, 502, `upstream ${backend.key} sent an invalid response: ${failure.detail}`);
        return;
      case 'timeout':
        this.#stats.recordFailure('timeout');
        this.#answer(exchange, 504, `upstream ${backend.key} did not answer in time`);
        return;
      case 'connect':
      case 'connect_timeout':
      case 'reset':
        this.#recordFailure(backend, endpoint, failure.kind);
        break;
    }
    exchange.failure =
      failure.kind === 'connect_timeout'
        ? `upstream ${backend.key} did not accept the connection in time`
        : `upstream ${backend.key} failed: ${failure.detail}`;
    // Any request may go elsewhere if its connection never came up (refused, timed out: no
    // backend saw it). An idempotent one without a body also when no response came over an open
    // connection (a pooled socket the backend was closing, a backend shutting down in a rolling
    // restart, a host that vanished): the backend may have seen it, but may see it again.
    if (exchange.replayable(attempt) && (exchange.tried?.length ?? 0) < this.#maxRetries) {
      exchange.tried ??= [];
      exchange.tried.push(endpoint);
      this.#forward(exchange);
      return;
    }
    this.#answer(exchange, failure.kind === 'connect_timeout' ? 504 : 502, exchange.failure);
  }

  /** A connection failure counts against the backend; the ejection it causes is logged once. */
  #recordFailure(
    backend: Backend,
    endpoint: RouteEndpoint,
    kind: 'connect' | 'connect_timeout' | 'reset' | 'invalid_response',
  ): void {
    this.#stats.recordFailure(kind);
    const now = this.#now();
    if (!backend.health.recordFailure(now, { immediately: kind === 'connect_timeout' })) return;
    // A backend whose connections time out has stopped answering (a host that vanished):
    // requests waiting on its open connections will not be answered either.
    const cancelled =
      kind === 'connect_timeout' ? backend.dropConnections(new BackendLostError(backend.key)) : 0;
    this.#logger.warn(
      {
        backend: backend.key,
        endpoint: endpoint.id,
        reason: kind,
        ejections: backend.health.ejections,
        ejectedForMs: backend.health.ejectedUntil - now,
        ...(cancelled > 0 ? { requestsMovedElsewhere: cancelled } : {}),
      },
      'backend ejected',
    );
  }

  /** Answers the client with the edge's own error (once). */
  #answer(exchange: Exchange, status: number, reason: string): void {
    if (exchange.done) return;
    exchange.done = true;
    exchange.status = status;
    this.#stats.record(exchange.pool?.id ?? RouteStats.UNROUTED, status);
    exchange.bytes += exchange.res
      ? sendError(exchange.res, status, reason, exchange.requestId)
      : sendSocketError(exchange.socket!, status, reason, exchange.requestId);
  }

  /** Writes the exchange's access log line (when the log is on). */
  logExchange(exchange: Exchange): void {
    if (this.#accessLog === undefined) return;
    const { req, res } = exchange;
    const now = Date.now();
    this.#accessLog.write({
      time: new Date(exchange.arrivedAt).toISOString(),
      client: peerAddress(req.socket?.remoteAddress),
      method: req.method ?? '',
      host: exchange.host || (req.headers.host ?? ''),
      path: req.url ?? '',
      // 499: the client went away before any answer (nginx's convention).
      status: res ? (res.headersSent ? res.statusCode : 499) : exchange.status || 499,
      bytes: exchange.bytes,
      durationMs: now - exchange.arrivedAt,
      endpoint: exchange.endpoint?.id ?? null,
      retries: exchange.tried?.length ?? 0,
      requestId: exchange.requestId,
    });
  }

  /** Closes every open WebSocket (shutdown). */
  closeUpgraded(): void {
    for (const socket of this.upgraded) socket.end();
  }
}

/** A response head on a raw socket (a backend's refusal of a WebSocket handshake), then the body until close. */
function writeHead(
  socket: Duplex,
  status: number,
  statusMessage: string | undefined,
  headers: Record<string, unknown>,
): void {
  let head = `HTTP/1.1 ${status} ${statusMessage ?? ''}\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      const text = String(item);
      if (/[\r\n\0]/.test(text)) throw new Error(`invalid value for ${name}`);
      head += `${name}: ${text}\r\n`;
    }
  }
  socket.write(`${head}connection: close\r\n\r\n`, 'latin1');
}

function authority(req: IncomingMessage): string | undefined {
  return req.headers[':authority'] as string | undefined;
}

/**
 * The normalised host a request is for: HTTP/2's `:authority` (Node's parser already refuses a
 * repeated one), else the one `Host` header; undefined when missing, repeated or malformed.
 */
function requestHost(req: IncomingMessage): string | undefined {
  if (isHttp2Request(req)) return normaliseHost(authority(req) ?? req.headers.host);
  return hasOneHost(req.rawHeaders) ? normaliseHost(req.headers.host) : undefined;
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
