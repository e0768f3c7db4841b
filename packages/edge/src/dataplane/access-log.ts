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
 * standard output carries only these lines. What is buffered goes out at least every
 * `flushEveryMs`, so a quiet edge's last requests do not wait for the buffer to fill.
 */
export class AccessLog {
  readonly #writer: LineWriter;
  readonly #timer: NodeJS.Timeout;
  #pending = false;

  constructor(writer: LineWriter = createLineWriter(1), flushEveryMs = 1_000) {
    this.#writer = writer;
    this.#timer = setInterval(() => {
      if (!this.#pending) return;
      this.#pending = false;
      this.#writer.flush();
    }, flushEveryMs);
    this.#timer.unref();
  }

  write(entry: AccessLogEntry): void {
    this.#writer.write(`${JSON.stringify(entry)}\n`);
    this.#pending = true;
  }

  /** Writes out what is buffered (shutdown); idempotent. */
  close(): void {
    clearInterval(this.#timer);
    this.#writer.flushSync();
  }
}
