import type { IncomingMessage } from 'node:http';
import { connectionTokens } from './forwarded-headers.js';

/**
 * True for the one upgrade the edge proxies: a WebSocket handshake (`GET`, `Upgrade: websocket`,
 * `Connection: upgrade`, no body; RFC 6455 §4.1). Every other upgrade — `h2c` (what `curl
 * --http2` sends on cleartext, and what h2c smuggling abuses), unknown protocols, a WebSocket
 * upgrade on any method but GET or with a body — is treated as absent: the request is forwarded
 * as an ordinary one, never as a tunnel.
 */
export function isWebSocketUpgrade(req: IncomingMessage): boolean {
  if (req.method !== 'GET' || req.httpVersionMajor !== 1 || req.httpVersionMinor !== 1) return false;
  // A handshake has no body. One that had would go upstream head first and its body as tunnel
  // bytes, past every framing check: as an ordinary request it is framed (or refused).
  const length = req.headers['content-length'];
  if (req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0'))
    return false;
  const upgrade = req.headers.upgrade;
  if (upgrade === undefined || upgrade.trim().toLowerCase() !== 'websocket') return false;
  return connectionTokens(req.headers.connection)?.has('upgrade') === true;
}

/**
 * The request's head (request line and headers, as received) without `Upgrade`, so that an
 * HTTP parser reading it again sees an ordinary request. Header names and values are those
 * Node's parser already accepted; framing headers are kept as they were, so the body that
 * follows is framed exactly as before.
 */
export function headWithoutUpgrade(req: IncomingMessage): Buffer {
  let head = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`;
  const raw = req.rawHeaders;
  for (let index = 0; index < raw.length; index += 2) {
    const name = raw[index]!;
    if (name.length === 7 && name.toLowerCase() === 'upgrade') continue;
    head += `${name}: ${raw[index + 1]}\r\n`;
  }
  return Buffer.from(`${head}\r\n`, 'latin1');
}
