import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  createSecureServer,
  type Http2SecureServer,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type Http2Session,
} from 'node:http2';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSecureContext, type SecureContext, type TLSSocket, type Server as TlsServer } from 'node:tls';
import type { Logger } from '@wharf/core';
import { aborted, silentLogger } from '@wharf/core';
import type { ListenAddress } from '../../edge-config.js';
import { createAlpnChallengeServer } from '../../tls/alpn-challenge-server.js';
import { ACME_TLS_ALPN } from '../../tls/challenge-set.js';
import { MAX_CLIENT_HELLO_BYTES, peekClientHello } from '../../tls/client-hello.js';
import type { ServedCertificate } from '../../tls/served-certificate.js';
import { PLAIN_HTTP_ON_TLS_MESSAGE, TLS_PROTOCOL_OPTIONS } from '../../tls/tls-protocol-options.js';
import type { TlsState } from '../../tls/tls-state.js';
import { isHttp2Request } from './https-answers.js';
import type { ProxyHandler } from './proxy-handler.js';
import { headWithoutUpgrade, isWebSocketUpgrade } from './upgrade-request.js';

export interface TlsEdgeServerOptions {
  readonly listen: ListenAddress;
  readonly handler: ProxyHandler;
  /** The current certificates and challenges; read once per handshake. */
  readonly tls: () => TlsState;
  readonly headersTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly shutdownGraceMs: number;
  /** Counts failed handshakes by reason (for `/metrics`). */
  readonly onHandshakeFailure?: (reason: string) => void;
  readonly logger?: Logger;
}

const PLAIN_HTTP_ANSWER =
  'HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\n' +
  `content-length: ${PLAIN_HTTP_ON_TLS_MESSAGE.length + 2}\r\n\r\n${PLAIN_HTTP_ON_TLS_MESSAGE}\r\n`;

/**
 * The HTTPS listener of the built-in plane: HTTP/2 and HTTP/1.1 by ALPN on one port, the same
 * request path as the plain listener (WebSockets over HTTP/1.1), certificates chosen by SNI from
 * the current `TlsState` and swapped without touching open connections.
 *
 * Each connection's first bytes are read before TLS starts: an ACME TLS-ALPN-01 validation
 * (ALPN `acme-tls/1`) goes to a responder that presents the challenge certificate — Node chooses
 * certificates by SNI alone — and plain HTTP sent to this port is answered 400 in clear text.
 * Everything else goes to the TLS stack, which refuses what is not TLS.
 */
export class TlsEdgeServer {
  readonly #options: TlsEdgeServerOptions;
  readonly #logger: Logger;
  readonly #front: Server;
  readonly #secure: Http2SecureServer;
  readonly #acme: TlsServer;
  /** One set of session ticket keys for every context: resumption survives certificate swaps. */
  readonly #ticketKeys = randomBytes(48);
  readonly #contexts = new WeakMap<ServedCertificate, SecureContext>();
  readonly #sessions = new Set<Http2Session>();
  readonly #http1 = new Set<TLSSocket>();
  readonly #pending = new Set<Socket>();
  #default: ServedCertificate | undefined;
  #draining = false;
  #closed: Promise<void> | undefined;

  constructor(options: TlsEdgeServerOptions) {
    this.#options = options;
    this.#logger = (options.logger ?? silentLogger).child({ component: 'tls-server' });
    const { handler } = options;
    this.#secure = createSecureServer(
      {
        ...TLS_PROTOCOL_OPTIONS,
        ticketKeys: this.#ticketKeys,
        allowHTTP1: true,
        SNICallback: (serverName, callback) => {
          const certificate = this.#options.tls().certificates.select(serverName);
          if (certificate === undefined) {
            callback(new Error(`no certificate for ${serverName}`), undefined);
            return;
          }
          callback(null, this.#context(certificate));
        },
        settings: { maxConcurrentStreams: 250 },
      },
      (req: Http2ServerRequest, res: Http2ServerResponse) => {
        if (this.#draining && !isHttp2Request(req))
          (res as unknown as ServerResponse).shouldKeepAlive = false;
        // The request path handles both: the compatibility API mirrors IncomingMessage and
        // ServerResponse, and HTTP/2's differences (`:authority`, no reason phrase) are handled there.
        handler.handleRequest(req as unknown as IncomingMessage, res as unknown as ServerResponse);
      },
    );
    this.#secure.setTimeout(options.idleTimeoutMs);
    // HTTP/1.1 on this listener runs Node's HTTP/1 server code, with the plain listener's limits
    // (see EdgeServer): headers within headersTimeout, checked often enough to stop slowloris.
    Object.assign(this.#secure, {
      headersTimeout: options.headersTimeoutMs,
      requestTimeout: Math.max(300_000, options.headersTimeoutMs),
      keepAliveTimeout: options.idleTimeoutMs,
      connectionsCheckingInterval: Math.min(1_000, Math.max(100, Math.floor(options.headersTimeoutMs / 4))),
    });
    this.#secure.on('session', (session: Http2Session) => {
      this.#sessions.add(session);
      session.once('close', () => this.#sessions.delete(session));
      if (this.#draining) session.close();
    });
    this.#secure.on('secureConnection', (socket: TLSSocket) => {
      if (socket.alpnProtocol === 'h2') return;
      this.#http1.add(socket);
      socket.once('close', () => this.#http1.delete(socket));
    });
    this.#secure.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (isWebSocketUpgrade(req)) handler.handleUpgrade(req, socket, head);
      else this.#asOrdinaryRequest(req, socket as TLSSocket, head);
    });
    // HTTP/1.1 on this listener: CONNECT refused and parser errors answered as on the plain one.
    this.#secure.on('connect', handler.handleConnect);
    this.#secure.on('clientError', handler.handleClientError);
    this.#secure.on('tlsClientError', (error: NodeJS.ErrnoException, socket: TLSSocket) => {
      this.#handshakeFailed(error);
      socket.destroy();
    });
    this.#acme = createAlpnChallengeServer({
      challenges: () => this.#options.tls().challenges,
      onFailure: (error) => this.#handshakeFailed(error),
    });
    this.#front = createServer({ noDelay: true }, (socket) => this.#accept(socket));
  }

  get address(): AddressInfo | undefined {
    const address = this.#front.address();
    return typeof address === 'object' && address !== null ? address : undefined;
  }

  /** Takes a new TLS state: new handshakes see it, open connections keep theirs. */
  update(state: TlsState): void {
    const fallback = state.certificates.default;
    if (fallback === this.#default) return;
    this.#default = fallback;
    // Clients without SNI get the default context: it carries the default certificate, or none
    // (their handshake fails).
    this.#secure.setSecureContext({
      ...TLS_PROTOCOL_OPTIONS,
      ticketKeys: this.#ticketKeys,
      ...(fallback ? { cert: fallback.chain, key: fallback.key } : {}),
    });
  }

  #context(certificate: ServedCertificate): SecureContext {
    let context = this.#contexts.get(certificate);
    if (context === undefined) {
      context = createSecureContext({
        ...TLS_PROTOCOL_OPTIONS,
        ticketKeys: this.#ticketKeys,
        cert: certificate.chain,
        key: certificate.key,
      });
      this.#contexts.set(certificate, context);
    }
    return context;
  }

  #handshakeFailed(error: NodeJS.ErrnoException): void {
    const reason = error.code ?? 'unknown';
    this.#options.onHandshakeFailure?.(reason);
    this.#logger.debug({ code: reason, reason: error.message }, 'TLS handshake failed');
  }

  /** Reads the start of a connection (see the class comment), then hands it on unread. */
  #accept(socket: Socket): void {
    if (this.#draining) {
      socket.destroy();
      return;
    }
    this.#pending.add(socket);
    let buffered: Buffer | undefined;
    const timer = setTimeout(() => socket.destroy(), this.#options.headersTimeoutMs);
    const done = () => {
      clearTimeout(timer);
      this.#pending.delete(socket);
      socket.off('data', onData);
    };
    const onData = (chunk: Buffer) => {
      buffered = buffered === undefined ? chunk : Buffer.concat([buffered, chunk]);
      const peek = peekClientHello(buffered);
      if (peek.kind === 'incomplete' && buffered.length < MAX_CLIENT_HELLO_BYTES) return;
      done();
      socket.pause();
      if (peek.kind === 'plain-http') {
        this.#handshakeFailed(Object.assign(new Error('plain HTTP on the TLS port'), { code: 'PLAIN_HTTP' }));
        socket.end(PLAIN_HTTP_ANSWER);
        return;
      }
      socket.unshift(buffered);
      const acme =
        peek.kind === 'client-hello' &&
        peek.alpn.includes(ACME_TLS_ALPN) &&
        this.#options.tls().challenges.alpn(peek.serverName) !== undefined;
      // A TLS socket built on this one reads the bytes put back above (Node feeds what a socket
      // has buffered into the new TLS handle).
      (acme ? this.#acme : this.#secure).emit('connection', socket);
    };
    socket.on('data', onData);
    socket.on('error', () => socket.destroy());
    socket.once('close', done);
  }

  /** As on the plain listener: an upgrade other than WebSocket is parsed again as an ordinary request. */
  #asOrdinaryRequest(req: IncomingMessage, socket: TLSSocket, head: Buffer): void {
    socket.unshift(Buffer.concat([headWithoutUpgrade(req), head]));
    this.#secure.emit('secureConnection', socket);
  }

  async listen(): Promise<void> {
    const { host, port } = this.#options.listen;
    this.#front.listen({ host, port, backlog: 4096 });
    await once(this.#front, 'listening');
    // The secure server never listens itself (the front does): its 'listening' starts Node's
    // checks of the HTTP/1 timeouts above.
    this.#secure.emit('listening');
    this.#logger.info({ address: this.address }, 'TLS listening');
  }

  /** Listens until `signal` aborts, then shuts down gracefully. */
  async run(signal: AbortSignal): Promise<void> {
    await this.listen();
    await aborted(signal);
    await this.close();
  }

  /** Graceful, idempotent: GOAWAY to HTTP/2 sessions, idle HTTP/1.1 connections closed as they go idle. */
  close(): Promise<void> {
    this.#closed ??= this.#shutdown();
    return this.#closed;
  }

  async #shutdown(): Promise<void> {
    this.#draining = true;
    // Stop accepting. Its callback is not awaited: sockets handed to the TLS stack leave their
    // handle to a TLS socket and never report closing to this server; they are tracked below.
    this.#front.close();
    for (const socket of this.#pending) socket.destroy();
    for (const session of this.#sessions) session.close();
    this.#logger.info(
      {
        graceMs: this.#options.shutdownGraceMs,
        sessions: this.#sessions.size,
        connections: this.#http1.size,
      },
      'TLS draining',
    );
    const deadline = Date.now() + this.#options.shutdownGraceMs;
    while (Date.now() < deadline && this.#sessions.size + this.#http1.size > 0) {
      for (const socket of this.#http1) {
        // No response in progress on it: idle keep-alive, close it.
        if (!(socket as TLSSocket & { _httpMessage?: unknown })._httpMessage) socket.end();
      }
      await sleep(50);
    }
    if (this.#sessions.size + this.#http1.size > 0)
      this.#logger.warn(
        { sessions: this.#sessions.size, connections: this.#http1.size },
        'shutdown grace period over; closing remaining TLS connections',
      );
    for (const session of this.#sessions) session.destroy();
    for (const socket of this.#http1) socket.destroy();
    this.#logger.info('TLS stopped');
  }
}
