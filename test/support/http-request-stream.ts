/**
 * A reference reading of an HTTP/1.1 request stream (RFC 9112), strict wherever message framing
 * is at stake and lenient elsewhere, used as the yardstick for hostile-HTTP tests: it says where
 * requests start on the client side, so a backend that parsed a request starting anywhere else
 * (inside a body, after bytes no strict parser accepts) was desynchronised.
 *
 * Strict: line endings (CRLF only; bare CR or LF and obs-fold stop the reading), request lines
 * (method, target, `HTTP/1.x`), Content-Length (digits, duplicates only if equal; a name that is
 * Content-Length once odd bytes or whitespace are dropped stops the reading), Transfer-Encoding
 * (chunked exactly once and last; never with Content-Length or in HTTP/1.0; likewise), chunk
 * sizes, extensions and line endings. Lenient: what does not change where a message ends —
 * other field lines that are no field (skipped), obs-text and controls other than NUL in
 * methods, targets and field values.
 */

export interface StreamRequest {
  /** Offset of the request line (after any empty lines before it). */
  readonly start: number;
  readonly method: string;
  readonly target: string;
  /** `1.1`, `1.0`. */
  readonly version: string;
  /** Field lines as sent, values without surrounding whitespace; partial when the head is faulty. */
  readonly headers: readonly (readonly [string, string])[];
  /** The body as framed (chunked decoded); undefined when the head or the framing is faulty or incomplete. */
  readonly body: string | undefined;
}

export interface StreamStop {
  /** Offset of the first byte a strict reader refuses, or of the end of the bytes mid-message. */
  readonly offset: number;
  readonly reason: string;
  /** The bytes end inside a message that could still be completed. */
  readonly incomplete: boolean;
}

export interface StreamReading {
  /**
   * Offsets where a request starts for every strict reader: the first request, each one after
   * a message whose end all of them agree on, and the one in which the reading stops.
   */
  readonly starts: readonly number[];
  /** The requests whose request line could be read, in order (the last one may be faulty). */
  readonly requests: readonly StreamRequest[];
  /** Why the reading stopped; undefined when the bytes end exactly after a message. */
  readonly stop: StreamStop | undefined;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const VERSION = /^HTTP\/(\d)\.(\d)$/;
const HEX = /^[0-9A-Fa-f]{1,16}$/;
const FRAMING_NAMES = new Set(['contentlength', 'transferencoding']);
const CHUNK_EXTENSION =
  /^(?:[ \t]*;[ \t]*[!#$%&'*+.^_`|~0-9A-Za-z-]+(?:[ \t]*=[ \t]*(?:[!#$%&'*+.^_`|~0-9A-Za-z-]+|"(?:[^"\\\r\n]|\\[^\r\n])*"))?)*$/;

/** Anything but whitespace and controls: the target's own syntax does not decide where a message ends. */
function isTarget(target: string): boolean {
  if (target === '') return false;
  for (let index = 0; index < target.length; index += 1) {
    const code = target.charCodeAt(index);
    if (code <= 0x20 || code === 0x7f) return false;
  }
  return true;
}

class Stop extends Error {
  constructor(
    readonly offset: number,
    readonly reason: string,
    readonly incomplete = false,
  ) {
    super(reason);
  }
}

/** One CRLF-terminated line from `offset`; bare CR or LF, or the end of the bytes, stop the reading. */
function line(bytes: string, offset: number): { text: string; next: number } {
  for (let index = offset; index < bytes.length; index += 1) {
    const code = bytes.charCodeAt(index);
    if (code === 10) throw new Stop(index, 'bare LF');
    if (code === 13) {
      if (index + 1 >= bytes.length) throw new Stop(bytes.length, 'line not terminated', true);
      if (bytes.charCodeAt(index + 1) !== 10) throw new Stop(index, 'bare CR');
      return { text: bytes.slice(offset, index), next: index + 2 };
    }
  }
  throw new Stop(bytes.length, 'line not terminated', true);
}

/** Field lines up to and including the empty line that ends them. */
function fields(bytes: string, offset: number, into: [string, string][]): number {
  let cursor = offset;
  for (;;) {
    const { text, next } = line(bytes, cursor);
    if (text === '') return next;
    const first = text.charCodeAt(0);
    if (first === 32 || first === 9) throw new Stop(cursor, 'obs-fold or whitespace before a field name');
    const colon = text.indexOf(':');
    const name = colon < 0 ? text : text.slice(0, colon);
    if (colon < 0 || !TOKEN.test(name)) {
      // A line that is no field frames nothing, unless dropping its odd bytes (as some servers
      // do) makes it Content-Length or Transfer-Encoding.
      if (FRAMING_NAMES.has(name.toLowerCase().replace(/[^a-z]/g, '')))
        throw new Stop(cursor, `invalid field name ${JSON.stringify(name)}`);
      cursor = next;
      continue;
    }
    const value = text.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (value.includes('\u0000')) throw new Stop(cursor, 'NUL in a field value');
    into.push([name, value]);
    cursor = next;
  }
}

type Framing = { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' };

function framing(headers: readonly (readonly [string, string])[], version: string, offset: number): Framing {
  const lengths: string[] = [];
  const codings: string[] = [];
  let transferEncoding = false;
  for (const [name, value] of headers) {
    const lower = name.toLowerCase();
    if (lower === 'content-length') lengths.push(...value.split(',').map((item) => item.trim()));
    if (lower === 'transfer-encoding') {
      transferEncoding = true;
      // A list: empty elements are allowed (RFC 9110 §5.6.1) and carry nothing.
      for (const item of value.split(',')) if (item.trim() !== '') codings.push(item.trim().toLowerCase());
    }
  }
  if (transferEncoding) {
    if (version === '1.0') throw new Stop(offset, 'Transfer-Encoding in HTTP/1.0');
    if (lengths.length > 0) throw new Stop(offset, 'Content-Length with Transfer-Encoding');
    if (codings.at(-1) !== 'chunked' || codings.indexOf('chunked') !== codings.length - 1)
      throw new Stop(offset, 'Transfer-Encoding without chunked as the single, final coding');
    return { kind: 'chunked' };
  }
  if (lengths.length === 0) return { kind: 'none' };
  if (!lengths.every((value) => /^\d{1,15}$/.test(value)) || new Set(lengths.map(Number)).size !== 1)
    throw new Stop(offset, 'invalid or conflicting Content-Length');
  return { kind: 'length', length: Number(lengths[0]) };
}

/** A chunked body from `offset`: the decoded body and the offset after the trailer section. */
function chunked(bytes: string, offset: number): { body: string; next: number } {
  let cursor = offset;
  let body = '';
  for (;;) {
    const { text, next } = line(bytes, cursor);
    const semicolon = text.search(/[ \t;]/);
    const size = semicolon < 0 ? text : text.slice(0, semicolon);
    const extension = semicolon < 0 ? '' : text.slice(semicolon);
    if (!HEX.test(size)) throw new Stop(cursor, `invalid chunk size ${JSON.stringify(text.slice(0, 40))}`);
    if (!CHUNK_EXTENSION.test(extension)) throw new Stop(cursor, 'invalid chunk extension');
    const length = Number.parseInt(size, 16);
    if (length === 0) return { body, next: fields(bytes, next, []) };
    if (next + length + 2 > bytes.length) throw new Stop(bytes.length, 'chunk incomplete', true);
    body += bytes.slice(next, next + length);
    if (bytes.slice(next + length, next + length + 2) !== '\r\n')
      throw new Stop(next + length, 'chunk data not followed by CRLF');
    cursor = next + length + 2;
  }
}

/** Reads `bytes` (latin1) as a client's request stream. */
export function readRequestStream(bytes: string): StreamReading {
  const starts: number[] = [];
  const requests: StreamRequest[] = [];
  let cursor = 0;
  try {
    while (cursor < bytes.length) {
      // At least one empty line before a request line is to be ignored (RFC 9112 §2.2).
      while (bytes.startsWith('\r\n', cursor)) cursor += 2;
      if (cursor >= bytes.length) break;
      starts.push(cursor);
      const { text, next } = line(bytes, cursor);
      const parts = text.split(' ');
      const [method = '', target = '', version = ''] = parts;
      const versionMatch = VERSION.exec(version);
      if (parts.length !== 3 || !TOKEN.test(method) || !isTarget(target) || versionMatch === null)
        throw new Stop(cursor, `invalid request line ${JSON.stringify(text.slice(0, 60))}`);
      if (versionMatch[1] !== '1') throw new Stop(cursor, `HTTP version ${version}`);
      const headers: [string, string][] = [];
      const request = {
        start: cursor,
        method,
        target,
        version: `${versionMatch[1]}.${versionMatch[2]}`,
        headers,
        body: undefined as string | undefined,
      };
      requests.push(request);
      const bodyStart = fields(bytes, next, headers);
      const frame = framing(headers, request.version, cursor);
      if (frame.kind === 'none') {
        request.body = '';
        cursor = bodyStart;
      } else if (frame.kind === 'length') {
        if (bodyStart + frame.length > bytes.length) throw new Stop(bytes.length, 'body incomplete', true);
        request.body = bytes.slice(bodyStart, bodyStart + frame.length);
        cursor = bodyStart + frame.length;
      } else {
        const { body, next: after } = chunked(bytes, bodyStart);
        request.body = body;
        cursor = after;
      }
      // After CONNECT the bytes belong to a tunnel, not to HTTP.
      if (method === 'CONNECT') throw new Stop(cursor, 'CONNECT');
    }
  } catch (error) {
    if (!(error instanceof Stop)) throw error;
    return {
      starts,
      requests,
      stop: { offset: error.offset, reason: error.reason, incomplete: error.incomplete },
    };
  }
  return { starts, requests, stop: undefined };
}
