import { type Duplex, PassThrough } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { RouteEndpoint } from '../../routing/route-table.js';
import type { Backend, Cancellable } from './backend.js';
import { EXCHANGE, type Exchange, type WithExchange } from './exchange.js';
import type { ProxyHandler } from './proxy-handler.js';
import { ClientGoneError, InvalidUpstreamResponseError } from './upstream-failure.js';

/**
 * One try of an exchange against one endpoint: undici's dispatch handler for it. Per-request
 * state lives on this object and the shared methods below, so a request allocates no closures
 * (the request path is dominated by Node's HTTP server and undici; this keeps the edge's own
 * share small).
 */
export class UpstreamAttempt implements Dispatcher.DispatchHandler, Cancellable {
  readonly proxy: ProxyHandler;
  readonly exchange: Exchange;
  readonly endpoint: RouteEndpoint;
  readonly backend: Backend;
  readonly started = performance.now();
  /** The request body as undici reads it; piped from the client once the connection is up. */
  readonly body: PassThrough | null;
  controller: Dispatcher.DispatchController | undefined;
  /** The request was handed to an open connection. */
  connected = false;
  responded = false;
  settled = false;

  constructor(proxy: ProxyHandler, exchange: Exchange, endpoint: RouteEndpoint, backend: Backend) {
    this.proxy = proxy;
    this.exchange = exchange;
    this.endpoint = endpoint;
    this.backend = backend;
    // undici destroys the body it was given when the upload ends or fails; a pass-through of
    // its own keeps that from destroying the client's request (and with it the chance of a 502).
    this.body = exchange.hasBody ? new PassThrough() : null;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    this.connected = true;
    if (this.exchange.done) {
      controller.abort(new ClientGoneError());
      return;
    }
    // The body is streamed only now: a refused connection leaves it unread, so the request may
    // still go to another endpoint.
    if (this.body !== null) this.exchange.req.pipe(this.body);
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
    statusMessage?: string,
  ): void {
    if (statusCode < 200) {
      // Informational answers are not passed on; a 101 without an `Upgrade` undici would take
      // for one, and the request would wait for a final answer that never comes.
      if (statusCode === 101)
        controller.abort(
          new InvalidUpstreamResponseError('101 Switching Protocols to a request that asked for no upgrade'),
        );
      return;
    }
    this.proxy.respond(this, controller, statusCode, headers, statusMessage);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const exchange = this.exchange;
    exchange.bytes += chunk.length;
    const client = exchange.res ?? exchange.socket!;
    if (!client.write(chunk)) {
      controller.pause();
      if (!exchange.drainHooked) {
        exchange.drainHooked = true;
        (client as WithExchange<Duplex>)[EXCHANGE] = exchange;
        client.on('drain', onClientDrain);
      }
    }
  }

  onResponseEnd(): void {
    this.#settle();
    const exchange = this.exchange;
    if (exchange.res) exchange.res.end();
    else exchange.socket?.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    this.#settle();
    this.proxy.attemptFailed(this, error);
  }

  onRequestUpgrade(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    _headers: unknown,
    socket: Duplex,
  ): void {
    this.#settle();
    this.responded = true;
    const raw = (controller as { rawHeaders?: Buffer[] | null }).rawHeaders ?? [];
    this.proxy.tunnel(this, statusCode, raw, socket);
  }

  cancelIfReplayable(reason: Error): boolean {
    if (this.responded || this.settled || this.controller === undefined) return false;
    if (!this.exchange.replayable(this)) return false;
    this.controller.abort(reason);
    return true;
  }

  /** The client went away: stop whatever runs upstream for it. */
  cancel(): void {
    if (!this.settled) this.controller?.abort(new ClientGoneError());
  }

  #settle(): void {
    if (this.settled) return;
    this.settled = true;
    this.backend.active -= 1;
    this.backend.awaiting.delete(this);
  }
}

function onClientDrain(this: WithExchange<Duplex>): void {
  this[EXCHANGE]!.attempt?.controller?.resume();
}
