import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@wharf/core';
import { aborted, silentLogger } from '@wharf/core';
import type { ListenAddress } from '../edge-config.js';

export type AdminHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface AdminServerOptions {
  readonly listen: ListenAddress;
  readonly logger?: Logger;
}

/**
 * The admin listener: a tiny router of exact paths to handlers. The edge mounts `/healthz`,
 * `/readyz`, `/metrics` and `/routes`; other parts (a dashboard at `/`) mount their own.
 */
export class AdminServer {
  readonly #handlers = new Map<string, AdminHandler>();
  readonly #server: Server;
  readonly #listen: ListenAddress;
  readonly #logger: Logger;
  #closed = false;

  constructor(options: AdminServerOptions) {
    this.#listen = options.listen;
    this.#logger = (options.logger ?? silentLogger).child({ component: 'admin' });
    this.#server = createServer((req, res) => this.#dispatch(req, res));
    this.#server.keepAliveTimeout = 5_000;
  }

  /** Serves `path` (exact match, query ignored) with `handler`; a later mount replaces an earlier one. */
  mount(path: string, handler: AdminHandler): this {
    this.#handlers.set(path, handler);
    return this;
  }

  get address(): AddressInfo | undefined {
    const address = this.#server.address();
    return typeof address === 'object' && address !== null ? address : undefined;
  }

  async listen(): Promise<void> {
    this.#server.listen(this.#listen.port, this.#listen.host);
    await once(this.#server, 'listening');
    this.#logger.info({ address: this.address }, 'admin listening');
  }

  /** Listens until `signal` aborts, then closes. */
  async run(signal: AbortSignal): Promise<void> {
    await this.listen();
    await aborted(signal);
    await this.close();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Long-lived admin streams (Server-Sent Events) must not hold shutdown up.
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query < 0 ? url : url.slice(0, query);
    const handler = this.#handlers.get(path);
    if (handler === undefined) {
      sendText(res, 404, 'not found\n');
      return;
    }
    try {
      await handler(req, res);
    } catch (error) {
      this.#logger.error({ err: error, path }, 'admin handler failed');
      if (!res.headersSent) sendText(res, 500, 'internal error\n');
      else res.destroy();
    }
  }
}

export function sendText(
  res: ServerResponse,
  status: number,
  body: string,
  contentType = 'text/plain; charset=utf-8',
): void {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  sendText(res, status, `${JSON.stringify(value, null, 2)}\n`, 'application/json; charset=utf-8');
}
