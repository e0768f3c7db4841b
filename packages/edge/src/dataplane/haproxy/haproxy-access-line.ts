import { STATUS_CODES } from 'node:http';
import type { AccessLogEntry } from '../access-log.js';

// The fields of ACCESS_LOG_FORMAT (haproxy-config.ts), separated by single spaces: the host
// quoted, with `"`, backslash and `]` escaped by a backslash; the target last (HAProxy refuses
// targets with spaces, so only it may be the rest of the line).
const LINE =
  /^(\d+)\.(\d{3}) (\S+) (\S+) "((?:[^"\\]|\\.)*)" (-?\d+) (\d+) (\S+) (\S+) (-?\d+) (\S+) (\S+) \+?(\d+) (\S+) (.*)$/;

/**
 * Reads one access log line HAProxy printed into the shared entry; undefined for anything
 * else on its stdout (its own notices) and for the hop a stopping worker hands a held request
 * over to its successor, which logs the request itself.
 */
export function parseHaproxyAccessLine(line: string): AccessLogEntry | undefined {
  const match = LINE.exec(line);
  if (match === null) return undefined;
  const [
    ,
    seconds,
    millis,
    client,
    method,
    host,
    status,
    sent,
    length,
    head,
    duration,
    backend,
    server,
    retries,
    id,
    path,
  ] = match as unknown as string[];
  if (backend === 'wharf_handover') return undefined;
  const unescaped = host!.replace(/\\(.)/g, '$1');
  return {
    time: new Date(Number(seconds) * 1_000 + Number(millis)).toISOString(),
    client: client!,
    method: method!,
    host: unescaped === '-' ? '' : unescaped,
    path: path!,
    status: Number(status),
    bytes: bodyBytes(Number(status), Number(sent), length!, head!),
    durationMs: Math.max(0, Number(duration)),
    endpoint: server === '<NOSRV>' || server === '-' ? null : server!.replace(/:panic$/, ''),
    retries: Number(retries),
    requestId: id!,
  };
}

/**
 * Body bytes: the declared Content-Length when the response had one, else what the server sent
 * minus its status line and head (a chunked body then counts its chunk framing too; a
 * WebSocket, what went through the tunnel towards the client).
 */
function bodyBytes(status: number, sent: number, length: string, head: string): number {
  if (/^\d+$/.test(length)) return Math.min(Number(length), sent);
  if (!/^\d+$/.test(head)) return sent;
  const statusLine = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n`.length;
  return Math.max(0, sent - statusLine - Number(head));
}
