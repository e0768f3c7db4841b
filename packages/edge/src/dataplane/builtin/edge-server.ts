import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@wharf/core';
import { aborted, silentLogger } from '@wharf/core';
import type { ListenAddress } from '../../edge-config.js';
import type { ProxyHandler } from './proxy-handler.js';
import { headWithoutUpgrade, isWebSocketUpgrade } from './upgrade-request.js';

export interface EdgeServerOptions {
  readonly listen: ListenAddress;
  readonly handler: ProxyHandler;
  readonly headersTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly shutdownGraceMs: number;
  readonly logger?: Logger;
}

/**
 * The public listener. Hostile input is left to Node's parser; the handler answers what it
 * refuses as Node would (oversized headers → 431, Content-Length with Transfer-Encoding → 400,
 * headers not complete within `headersTimeout` → 408, then the socket closed), with a request
 * id and an access log line.
 *
 * Shutdown: stop accepting, close idle keep-alive sockets, let in-flight requests finish
 * (answering them with `Connection: close`) within the grace period, then cut what is left.
 */
export class EdgeServer {
  readonly #server: Server;
  readonly #options: EdgeServerOptions;
  readonly #logger: Logger;
  #draining = false;
  #closed: Promise<void> | undefined;

  constructor(options: EdgeServerOptions) {
    this.#options = options;
    this.#logger = (options.logger ?? silentLogger).child({ component: 'edge-server' });
    const { handler } = options;
    this.#server = createServer(
      {
        headersTimeout: options.headersTimeoutMs,
        requestTimeout: Math.max(300_000, options.headersTimeoutMs),
        keepAliveTimeout: options.idleTimeoutMs,
        // Node checks the two timeouts above on this interval; the default (30 s) would let a
        // slowloris client hold a socket well past headersTimeout.
        connectionsCheckingInterval: Math.min(1_000, Math.max(100, Math.floor(options.headersTimeoutMs / 4))),
      },
      (req, res) => {
        if (this.#draining) res.shouldKeepAlive = false;
        handler.handleRequest(req, res);
      },
    );
    this.#server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (isWebSocketUpgrade(req)) handler.handleUpgrade(req, socket, head);
      else this.#asOrdinaryRequest(req, socket as Socket, head);
    });
    this.#server.on('connect', handler.handleConnect);
    this.#server.on('clientError', handler.handleClientError);
  }

  /**
   * Node hands every request that asks for an upgrade to the 'upgrade' listener, with the
   * connection taken away from its HTTP parser. An upgrade the edge does not proxy is treated as
   * absent: the same bytes without `Upgrade` go back through a fresh parser on the same
   * connection, which sees an ordinary request (body framing and keep-alive intact). A response
   * still being written on the connection (pipelining) finishes first.
   */
  #asOrdinaryRequest(req: IncomingMessage, socket: Socket, head: Buffer): void {
    let replayed = false;
    const replay = () => {
      if (replayed || socket.destroyed) return;
      replayed = true;
      socket.unshift(Buffer.concat([headWithoutUpgrade(req), head]));
      this.#server.emit('connection', socket);
    };
    const pending = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (pending && !pending.writableFinished) pending.once('finish', replay).once('close', replay);
    else replay();
  }

  get address(): AddressInfo | undefined {
    const address = this.#server.address();
    return typeof address === 'object' && address !== null ? address : undefined;
  }

  async listen(): Promise<void> {
    const { host, port } = this.#options.listen;
    this.#server.listen({ host, port, backlog: 4096 });
    await once(this.#server, 'listening');
    this.#logger.info({ address: this.address }, 'edge listening');
  }

  /** Listens until `signal` aborts, then shuts down gracefully. */
  async run(signal: AbortSignal): Promise<void> {
    await this.listen();
    await aborted(signal);
    await this.close();
  }

  /** Graceful, idempotent. */
  close(): Promise<void> {
    this.#closed ??= this.#shutdown();
    return this.#closed;
  }

  async #shutdown(): Promise<void> {
    this.#draining = true;
    const server = this.#server;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    this.#options.handler.closeUpgraded();
    const deadline = Date.now() + this.#options.shutdownGraceMs;
    this.#logger.info({ graceMs: this.#options.shutdownGraceMs }, 'edge draining');
    const tick = new AbortController();
    // Keep-alive sockets become idle as their last response ends; close them as they do.
    const sweeping = (async () => {
      while (!tick.signal.aborted && Date.now() < deadline) {
        await sleep(50, undefined, { signal: tick.signal }).catch(() => {});
        server.closeIdleConnections();
      }
    })();
    const timedOut = await Promise.race([
      closed.then(() => false),
      sleep(this.#options.shutdownGraceMs, true, { signal: tick.signal }).catch(() => false),
    ]);
    tick.abort();
    await sweeping;
    if (timedOut) {
      this.#logger.warn('shutdown grace period over; closing remaining connections');
      server.closeAllConnections();
      for (const socket of this.#options.handler.upgraded) socket.destroy();
      await closed;
    }
    this.#logger.info('edge stopped');
  }
}
