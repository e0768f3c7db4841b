import { createLineWriter, type LineWriter } from '@wharf/core';

/**
 * One request as the access log records it, with the same fields from either data plane: what
 * an operator needs to explain a 502 (which endpoint, how many retries, how long).
 */
export interface AccessLogEntry {
  /** ISO time the request arrived. */
  readonly time: string;
  /** The peer's address (the client, or the proxy in front of the edge). */
  readonly client: string;
  readonly method: string;
  /** The normalised Host, or the raw one when it was refused. */
  readonly host: string;
  /** The request target as received (path and query). */
  readonly path: string;
  readonly status: number;
  /** Response body bytes sent to the client. */
  readonly bytes: number;
  readonly durationMs: number;
  /** The instance id that answered (or last failed), null when none was tried. */
  readonly endpoint: string | null;
  /** Further endpoints tried after the first. */
  readonly retries: number;
  readonly requestId: string;
}

/** `WHARF_ACCESS_LOG`: off, or one JSON line per request on standard output. */
export type AccessLogTarget = 'off' | 'stdout';

/**
 * Writes access log entries as JSON lines, buffered. Program logs go to standard error, so
 * standard output carries only these lines.
 */
export class AccessLog {
  readonly #writer: LineWriter;

  constructor(writer: LineWriter = createLineWriter(1)) {
    this.#writer = writer;
  }

  write(entry: AccessLogEntry): void {
    this.#writer.write(`${JSON.stringify(entry)}\n`);
  }

  /** Writes out what is buffered (shutdown). */
  close(): void {
    this.#writer.flushSync();
  }
}
