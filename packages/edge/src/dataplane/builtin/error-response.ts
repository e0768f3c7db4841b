import { type OutgoingHttpHeaders, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * Seconds a client is told to wait (`Retry-After`) before asking again after a 503 from the
 * edge: no serving endpoint (yet), or not ready. Long enough for a redeploy to finish, short
 * enough that a client which honours it comes back soon after.
 */
export const RETRY_AFTER_SECONDS = 5;

/**
 * A short plain-text error answered by the edge itself (never by a backend), naming what went
 * wrong and the request id to find it by.
 */
export function errorBody(status: number, reason: string, requestId: string): string {
  return `${status} ${STATUS_CODES[status] ?? 'Error'}: ${reason} (request id ${requestId})\n`;
}

/** Answers `status` on `res`; returns the body bytes written (0 when it was too late for a status). */
export function sendError(res: ServerResponse, status: number, reason: string, requestId: string): number {
  if (res.headersSent) {
    // Too late for a status: cut the response so the client sees it is incomplete.
    res.destroy();
    return 0;
  }
  const body = errorBody(status, reason, requestId);
  const bytes = Buffer.byteLength(body);
  const headers: OutgoingHttpHeaders = {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': bytes,
    'cache-control': 'no-store',
    'x-request-id': requestId,
  };
  if (status === 503) headers['retry-after'] = String(RETRY_AFTER_SECONDS);
  res.writeHead(status, headers);
  res.end(body);
  return bytes;
}

/** The same on a raw socket (upgrade requests and parser errors have no ServerResponse). */
export function sendSocketError(socket: Duplex, status: number, reason: string, requestId: string): number {
  if (!socket.writable) {
    socket.destroy();
    return 0;
  }
  const body = errorBody(status, reason, requestId);
  const bytes = Buffer.byteLength(body);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      'content-type: text/plain; charset=utf-8\r\n' +
      `content-length: ${bytes}\r\n` +
      'cache-control: no-store\r\n' +
      `x-request-id: ${requestId}\r\n` +
      (status === 503 ? `retry-after: ${RETRY_AFTER_SECONDS}\r\n` : '') +
      'connection: close\r\n\r\n' +
      body,
  );
  return bytes;
}
