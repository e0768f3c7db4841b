import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: readonly string[];
  readonly body: string;
  /** Index into `connections` of the connection it arrived on. */
  readonly connection: number;
}

/** Bytes the backend's HTTP parser refused: something in front of it sent what is not HTTP. */
export interface ParseError {
  readonly connection: number;
  readonly code: string;
  /** The bytes the parser was given when it stopped (up to 2 KiB), latin1. */
  readonly bytes: string;
  /** Where in `bytes` it stopped. */
  readonly offset: number;
}

/** A connection the backend switched to another protocol (101): what the upgrade request was, and every byte after it. */
export interface Tunnel {
  readonly request: RecordedRequest;
  bytes: string;
}

const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/**
 * A backend that keeps every byte it receives, per connection, and what its own HTTP parser
 * made of them — the view a smuggled request would have from behind the edge. It answers each
 * request with 200 and its URL, or with the status in a `respond=<status>` query parameter (a
 * backend relaying someone else's status, as the health check of websocket-smuggle's second
 * challenge does: a 101 that opens nothing), or, when `rawResponse` is set, writes those bytes
 * once per connection instead (a misbehaving backend: a 101 out of the blue, two
 * Content-Lengths…).
 *
 * It takes upgrades as a server that speaks WebSocket and h2c would: a WebSocket handshake
 * (GET, version 13, a key) or an h2c upgrade on GET gets 101, and every byte after it is kept in
 * `tunnels`; a WebSocket handshake with another version gets 426 and the connection goes on as
 * HTTP (websocket-smuggle's first challenge); any other upgrade is served as an ordinary request.
 */
export class RecordingBackend {
  readonly server: Server;
  /** Raw bytes received, one string (latin1) per connection, in arrival order. */
  readonly connections: string[] = [];
  /** Connections that are still open, by index. */
  readonly open = new Set<number>();
  readonly requests: RecordedRequest[] = [];
  readonly parseErrors: ParseError[] = [];
  readonly tunnels: Tunnel[] = [];
  rawResponse: string | undefined;
  readonly #sockets = new Set<Socket>();
  /** Bytes given back to a connection's parser (an upgrade served as an ordinary request): read again, not received again. */
  readonly #unshifted = new WeakMap<Socket, Buffer[]>();
  /** Each connection's index; `reset()` starts a new generation, and older sockets get new indexes when next seen. */
  readonly #connections = new WeakMap<Socket, { index: number; generation: number }>();
  #generation = 0;
  /** Upgrade requests served as ordinary ones: the head as received, for the record. */
  readonly #replayed = new WeakMap<Socket, readonly string[]>();

  private constructor() {
    // Requests without Host are recorded too: that is what a proxy that dropped it would send.
    this.server = createServer({ requireHostHeader: false }, (req, res) => {
      const chunks: Buffer[] = [];
      const rawHeaders = this.#replayed.get(req.socket) ?? req.rawHeaders;
      this.#replayed.delete(req.socket);
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.#record(req, rawHeaders, Buffer.concat(chunks).toString('latin1'));
        if (this.rawResponse !== undefined) return;
        const status = Number(/[?&]respond=(\d{3})(?:&|$)/.exec(req.url ?? '')?.[1] ?? 200);
        res.setHeader('x-backend', 'recorder');
        if (status < 200) {
          res.writeHead(status);
          res.end();
          return;
        }
        res.statusCode = status;
        res.end(`recorded ${req.method} ${req.url}\n`);
      });
    });
    this.server.on('connection', (socket: Socket) => {
      if (this.#connections.has(socket)) return;
      this.#sockets.add(socket);
      let answered = false;
      socket.on('data', (chunk: Buffer) => {
        const index = this.#indexOf(socket);
        const replayed = this.#unshifted.get(socket)?.[0];
        const again = replayed !== undefined && chunk.subarray(0, replayed.length).equals(replayed);
        if (again) this.#unshifted.get(socket)!.shift();
        this.connections[index] += chunk.subarray(again ? replayed.length : 0).toString('latin1');
        if (this.rawResponse !== undefined && !answered) {
          answered = true;
          socket.write(this.rawResponse, 'latin1');
        }
      });
      socket.on('close', () => {
        this.#sockets.delete(socket);
        const known = this.#connections.get(socket);
        if (known?.generation === this.#generation) this.open.delete(known.index);
      });
      socket.on('error', () => {});
      this.#indexOf(socket);
    });
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.#upgrade(req, socket as Socket, head),
    );
    type ParserError = NodeJS.ErrnoException & { rawPacket?: Buffer; bytesParsed?: number };
    this.server.on('clientError', (error: ParserError, socket) => {
      socket.destroy();
      // Only what the parser refused; a connection reset or closed mid-request is the sender
      // giving up (its own client went away), not bytes the backend could not read.
      if (!error.code?.startsWith('HPE_') || error.code === 'HPE_INVALID_EOF_STATE') return;
      this.parseErrors.push({
        connection: this.#indexOf(socket as Socket),
        code: error.code,
        bytes: error.rawPacket?.toString('latin1').slice(0, 2048) ?? '',
        offset: error.bytesParsed ?? 0,
      });
    });
  }

  static async start(): Promise<RecordingBackend> {
    const backend = new RecordingBackend();
    await new Promise<void>((resolve) => backend.server.listen(0, '127.0.0.1', resolve));
    return backend;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  #indexOf(socket: Socket): number {
    const known = this.#connections.get(socket);
    if (known?.generation === this.#generation) return known.index;
    const index = this.connections.push('') - 1;
    this.#connections.set(socket, { index, generation: this.#generation });
    if (!socket.destroyed) this.open.add(index);
    return index;
  }

  #record(req: IncomingMessage, rawHeaders: readonly string[], body: string): RecordedRequest {
    const headers: IncomingHttpHeaders = {};
    for (let index = 0; index < rawHeaders.length; index += 2) {
      const name = rawHeaders[index]!.toLowerCase();
      const value = rawHeaders[index + 1]!;
      const prior = headers[name];
      headers[name] = prior === undefined ? value : `${prior}, ${value}`;
    }
    const record: RecordedRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: rawHeaders === req.rawHeaders ? req.headers : headers,
      rawHeaders,
      body,
      connection: this.#indexOf(req.socket),
    };
    this.requests.push(record);
    return record;
  }

  #upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const protocol = (req.headers.upgrade ?? '').trim().toLowerCase();
    const key = req.headers['sec-websocket-key'];
    if (req.method === 'GET' && protocol === 'websocket' && key !== undefined) {
      const record = this.#record(req, req.rawHeaders, '');
      if (req.headers['sec-websocket-version'] !== '13') {
        // Refused: the connection stays HTTP, and what follows is read as the next request.
        socket.write(
          'HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n',
        );
        this.#continueAsHttp(socket, head);
        return;
      }
      const accept = createHash('sha1').update(`${key}${WEBSOCKET_GUID}`).digest('base64');
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
      );
      this.#tunnel(record, socket, head);
      return;
    }
    if (req.method === 'GET' && protocol === 'h2c') {
      const record = this.#record(req, req.rawHeaders, '');
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n');
      this.#tunnel(record, socket, head);
      return;
    }
    // Not an upgrade this backend performs: the same head without Upgrade goes back through a
    // fresh parser on the connection, which reads an ordinary request (body framing intact).
    this.#replayed.set(socket, req.rawHeaders);
    let replay = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`;
    for (let index = 0; index < req.rawHeaders.length; index += 2) {
      if (req.rawHeaders[index]!.toLowerCase() === 'upgrade') continue;
      replay += `${req.rawHeaders[index]}: ${req.rawHeaders[index + 1]}\r\n`;
    }
    const replayHead = Buffer.from(`${replay}\r\n`, 'latin1');
    this.#continueAsHttp(socket, Buffer.concat([replayHead, head]));
  }

  #continueAsHttp(socket: Socket, pending: Buffer): void {
    if (pending.length > 0) {
      // Emitted again as data: neither the replayed head nor what was left over is new.
      this.#unshifted.set(socket, [...(this.#unshifted.get(socket) ?? []), pending]);
      socket.unshift(pending);
    }
    this.server.emit('connection', socket);
  }

  #tunnel(request: RecordedRequest, socket: Socket, head: Buffer): void {
    const tunnel: Tunnel = { request, bytes: head.toString('latin1') };
    this.tunnels.push(tunnel);
    socket.on('data', (chunk: Buffer) => {
      tunnel.bytes += chunk.toString('latin1');
    });
  }

  reset(): void {
    this.connections.length = 0;
    this.requests.length = 0;
    this.parseErrors.length = 0;
    this.tunnels.length = 0;
    this.open.clear();
    this.rawResponse = undefined;
    this.#generation += 1;
  }

  async close(): Promise<void> {
    // Upgraded connections are no longer the HTTP server's to close.
    for (const socket of this.#sockets) socket.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
