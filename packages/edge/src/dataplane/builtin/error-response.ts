import { type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * A short plain-text error answered by the edge itself (never by a backend), naming what went
 * wrong and the request id to find it by.
 */
export function errorBody(status: number, reason: string, requestId: string): string {
  return `${status} ${STATUS_CODES[status] ?? 'Error'}: ${reason} (request id ${requestId})\n`;
}

export function sendError(res: ServerResponse, status: number, reason: string, requestId: string): void {
  if (res.headersSent) {
    // Too late for a status: cut the response so the client sees it is incomplete.
    res.destroy();
    return;
  }
  const body = errorBody(status, reason, requestId);
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-request-id': requestId,
  });
  res.end(body);
}

/** The same on a raw socket (upgrade and CONNECT requests have no ServerResponse). */
export function sendSocketError(socket: Duplex, status: number, reason: string, requestId: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = errorBody(status, reason, requestId);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      'content-type: text/plain; charset=utf-8\r\n' +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      `x-request-id: ${requestId}\r\n` +
      'connection: close\r\n\r\n' +
      body,
  );
}
