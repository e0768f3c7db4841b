import {
  type ClientRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  request,
  type ServerResponse,
} from 'node:http';
import type { BlockList } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '@wharf/core';
import { silentLogger } from '@wharf/core';
import { ProxyServer } from 'http-proxy-3';
import type { BackendRegistry } from './backend-registry.js';
import { sendError, sendSocketError } from './error-response.js';
import {
  downstreamResponseHeaders,
  type ForwardedFor,
  peerAddress,
  upstreamRequestHeaders,
} from './forwarded-headers.js';
import { normaliseHost } from './host-name.js';
import { RequestIds } from './request-ids.js';
import { RouteStats } from './route-stats.js';
import type { RouteEndpoint, RoutePool, RouteTable } from './route-table.js';

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
  readonly logger?: Logger;
  readonly now?: () => number;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/** Marks an upstream request destroyed by the edge's upstream timeout. */
class UpstreamTimeout extends Error {
  readonly code = 'WHARF_UPSTREAM_TIMEOUT';
}

/** One client request as it is forwarded, possibly to several endpoints in turn. */
interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly pool: RoutePool;
  readonly headers: OutgoingHttpHeaders;
  readonly requestId: string;
  readonly hasBody: boolean;
  readonly retryable: boolean;
  tried: RouteEndpoint[] | undefined;
  upstream: ClientRequest | undefined;
  done: boolean;
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
    const requestId = this.#ids.next();
    const pool = this.#route(req, requestId, res, undefined);
    if (pool === undefined) return;
    const method = req.method ?? 'GET';
    const headers = upstreamRequestHeaders(req.headers, this.#forwardedFor(req, requestId, false));
    const hasBody =
      req.headers['transfer-encoding'] !== undefined || (Number(req.headers['content-length']) || 0) > 0;
    const exchange: Exchange = {
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
    res.once('close', () => {
      // The client went away before the response was complete: cancel the upstream request.
      if (!exchange.done && exchange.upstream !== undefined) exchange.upstream.destroy();
      exchange.done = true;
    });
    this.#forward(exchange);
  };

  /** `upgrade` listener (WebSocket): same routing, then http-proxy-3 pipes the two sockets. */
  readonly handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const requestId = this.#ids.next();
    socket.on('error', () => socket.destroy());
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
    this.#stats.record(pool.id, 101);
    this.#ws.ws(req, socket, head, { target }, (error: Error) => {
      this.#logger.debug({ err: error, route: pool.id }, 'websocket upstream failed');
      if (!socket.destroyed)
        sendSocketError(socket, 502, `upstream ${endpoint.backendKey} failed`, requestId);
    });
  };

  /** `connect` listener: CONNECT is refused, the edge is not a forward proxy. */
  readonly handleConnect = (_req: IncomingMessage, socket: Duplex): void => {
    socket.on('error', () => socket.destroy());
    this.#stats.record(RouteStats.UNROUTED, 405);
    sendSocketError(socket, 405, 'CONNECT is not supported: this is not a forward proxy', this.#ids.next());
  };

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
      const host = normaliseHost(req.headers.host);
      if (host === undefined) {
        status = 400;
        reason = 'missing or malformed Host header';
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
    const { pool, req, res } = exchange;
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
    const started = performance.now();
    const upstream = request({
      host: endpoint.address,
      port: endpoint.port,
      method: req.method,
      path: req.url,
      headers: exchange.headers,
      agent: backend.agent,
      setHost: false,
    });
    exchange.upstream = upstream;
    backend.active += 1;
    let connected = false;
    let responded = false;
    upstream.once('close', () => {
      backend.active -= 1;
    });

    const onConnect = () => {
      connected = true;
      backend.health.recordSuccess();
      // The body is sent only once connected, so a refused connection leaves it unread.
      if (exchange.hasBody) req.pipe(upstream);
    };
    upstream.once('socket', (socket) => {
      if ((socket as { connecting?: boolean }).connecting) socket.once('connect', onConnect);
      else onConnect();
    });
    if (!exchange.hasBody) upstream.end();

    upstream.setTimeout(this.#timeoutMs, () => upstream.destroy(new UpstreamTimeout('upstream timed out')));

    upstream.once('response', (upstreamRes) => {
      responded = true;
      this.#observe?.((performance.now() - started) / 1_000);
      if (exchange.done) {
        upstreamRes.resume();
        return;
      }
      const status = upstreamRes.statusCode ?? 502;
      const headers = downstreamResponseHeaders(upstreamRes.headers);
      headers['x-request-id'] = exchange.requestId;
      this.#stats.record(pool.id, status);
      res.writeHead(status, upstreamRes.statusMessage, headers);
      upstreamRes.pipe(res);
      upstreamRes.once('end', () => {
        exchange.done = true;
      });
      upstreamRes.once('error', () => {
        // The backend broke off mid-body: cut the client's response so it sees that too.
        res.destroy();
      });
    });

    upstream.once('error', (error: NodeJS.ErrnoException) => {
      if (exchange.done && !responded) return;
      if (responded) {
        res.destroy();
        return;
      }
      if (error instanceof UpstreamTimeout) {
        if (!connected) backend.health.recordFailure(this.#now());
        this.#finishWithError(exchange, 504, `upstream ${endpoint.backendKey} did not answer in time`);
        return;
      }
      // A stale pooled socket the backend closed is not the backend's fault, but it is only
      // safe to retry when nothing of the body may have been consumed.
      const staleSocket =
        connected && upstream.reusedSocket && error.code === 'ECONNRESET' && !exchange.hasBody;
      if (!connected) backend.health.recordFailure(this.#now());
      const attempts = exchange.tried?.length ?? 0;
      if ((!connected || staleSocket) && exchange.retryable && attempts < this.#maxRetries) {
        exchange.tried ??= [];
        exchange.tried.push(endpoint);
        req.unpipe(upstream);
        this.#forward(exchange);
        return;
      }
      this.#finishWithError(
        exchange,
        502,
        `upstream ${endpoint.backendKey} failed: ${error.code ?? error.message}`,
      );
    });
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
