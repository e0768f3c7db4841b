import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { RouteEndpoint, RoutePool } from '../../routing/route-table.js';
import type { UpstreamHeaders } from './forwarded-headers.js';
import type { ProxyHandler } from './proxy-handler.js';
import type { UpstreamAttempt } from './upstream-attempt.js';

// Per-request state rides on the emitters, so the client-side listeners are shared functions
// rather than closures allocated for every request.
export const EXCHANGE = Symbol('wharf.exchange');
export type WithExchange<T> = T & { [EXCHANGE]?: Exchange };

/** One client request (or WebSocket handshake) as it is forwarded, possibly to several endpoints in turn. */
export class Exchange {
  readonly proxy: ProxyHandler;
  readonly req: IncomingMessage;
  /** The client's response (HTTP), or undefined for a WebSocket handshake (`socket`). */
  readonly res: ServerResponse | undefined;
  readonly socket: Duplex | undefined;
  /** Bytes the client sent after its handshake (WebSocket). */
  readonly head: Buffer | undefined;
  readonly requestId: string;
  /** Epoch ms it arrived; only taken when the access log is on. */
  readonly arrivedAt: number;
  /** The normalised Host, once valid. */
  host = '';
  pool: RoutePool | undefined;
  headers: UpstreamHeaders | undefined;
  hasBody = false;
  retryable = false;
  /**
   * Endpoints already tried and failed, in order. By identity: an endpoint registered again
   * (a replacement on the same address) is a new object in a newer table, and may be tried.
   */
  tried: RouteEndpoint[] | undefined;
  attempt: UpstreamAttempt | undefined;
  /** The endpoint of the latest attempt. */
  endpoint: RouteEndpoint | undefined;
  /** Why the latest attempt failed, for the 502 when nothing else can be tried. */
  failure: string | undefined;
  /** The client got its answer (or the start of it), or went away: nothing more is sent. */
  done = false;
  /** Status answered (0 until then). */
  status = 0;
  /** Response body bytes sent to the client. */
  bytes = 0;
  /** Epoch ms until which it may wait for a newer table (0: never waited). */
  waitUntil = 0;
  /** It waited on a held route. */
  held = false;
  drainHooked = false;

  constructor(
    proxy: ProxyHandler,
    req: IncomingMessage,
    res: ServerResponse | undefined,
    socket: Duplex | undefined,
    head: Buffer | undefined,
    requestId: string,
    arrivedAt: number,
  ) {
    this.proxy = proxy;
    this.req = req;
    this.res = res;
    this.socket = socket;
    this.head = head;
    this.requestId = requestId;
    this.arrivedAt = arrivedAt;
  }

  get upgrade(): boolean {
    return this.res === undefined;
  }

  /**
   * A retry may send it elsewhere: its connection never came up (nothing of it reached a
   * backend, whatever its method: HAProxy's conn-failure retries do the same), or it is
   * idempotent and has no body.
   */
  replayable(attempt: UpstreamAttempt): boolean {
    return !attempt.connected || (this.retryable && !this.hasBody);
  }
}
