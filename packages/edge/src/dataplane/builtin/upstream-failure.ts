import { WharfError } from '@wharf/core';
import type { UpstreamFailureKind } from '../route-stats.js';

/** The client went away: its upstream request is cancelled. */
export class ClientGoneError extends WharfError {
  constructor() {
    super('WHARF_CLIENT_GONE', 'the client went away');
  }
}

/**
 * The backend stopped accepting connections (they time out): a request still waiting for its
 * answer on an older connection is cancelled and, when it can be replayed, sent elsewhere.
 */
export class BackendLostError extends WharfError {
  constructor(backend: string) {
    super('WHARF_BACKEND_LOST', `${backend} stopped accepting connections`);
  }
}

/** The backend answered with something the edge must not pass on. */
export class InvalidUpstreamResponseError extends WharfError {
  constructor(reason: string) {
    super('WHARF_INVALID_UPSTREAM_RESPONSE', reason);
  }
}

/**
 * How a failed upstream attempt counts: as one of the failure kinds in the metrics, or as
 * `lost` (cancelled because its backend was lost: already counted), `closed` (its pool was
 * closed under it by a newer table: try elsewhere, the backend is not to blame), `unforwardable`
 * (the request itself cannot be sent as it is) or `cancelled` (the client went away).
 */
export type UpstreamFailure =
  | { readonly kind: UpstreamFailureKind; readonly detail: string }
  | { readonly kind: 'lost' | 'closed' | 'unforwardable' | 'cancelled'; readonly detail: string };

/**
 * Maps an error from undici (or one of the edge's own cancellations) onto what the edge does
 * about it. `connected` says whether the request had been handed to an open connection.
 */
export function classifyUpstreamError(error: Error, connected: boolean): UpstreamFailure {
  const code = (error as { code?: unknown }).code;
  const detail = typeof code === 'string' ? code : error.message;
  switch (code) {
    case 'WHARF_CLIENT_GONE':
      return { kind: 'cancelled', detail };
    case 'WHARF_BACKEND_LOST':
      return { kind: 'lost', detail: error.message };
    case 'WHARF_INVALID_UPSTREAM_RESPONSE':
      return { kind: 'invalid_response', detail: error.message };
    case 'UND_ERR_CONNECT_TIMEOUT':
      return { kind: 'connect_timeout', detail };
    case 'UND_ERR_HEADERS_TIMEOUT':
      return { kind: 'timeout', detail };
    case 'UND_ERR_HEADERS_OVERFLOW':
      return { kind: 'invalid_response', detail: 'response headers too large' };
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
      // Before the headers were passed on, this is how undici reports a repeated or conflicting
      // Content-Length (after, a body cut short).
      return {
        kind: 'invalid_response',
        detail: 'Content-Length repeated, conflicting or not matching the body',
      };
    case 'UND_ERR_CLOSED':
    case 'UND_ERR_DESTROYED':
      return { kind: 'closed', detail };
    case 'UND_ERR_INVALID_ARG':
    case 'UND_ERR_NOT_SUPPORTED':
      return { kind: 'unforwardable', detail: error.message };
    case 'UND_ERR_SOCKET':
      // undici's parser destroys the socket on a 101 nobody asked for, or on a response to no
      // request (an unsolicited 100 Continue): the backend answered, wrongly.
      if (error.message === 'bad upgrade')
        return {
          kind: 'invalid_response',
          detail: '101 Switching Protocols to a request that asked for no upgrade',
        };
      if (error.message === 'bad response')
        return { kind: 'invalid_response', detail: 'unsolicited response' };
      break;
  }
  // llhttp refused the response (two Content-Lengths, a bad status line…).
  if (typeof code === 'string' && code.startsWith('HPE_'))
    return { kind: 'invalid_response', detail: `${error.message} (${code})` };
  return { kind: connected ? 'reset' : 'connect', detail };
}
