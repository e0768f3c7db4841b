export interface ResponseReading {
  /** Status codes of the responses read, interim ones (1xx) included, in order. */
  readonly statuses: readonly number[];
  /**
   * True when the bytes end exactly after a final response (or at a 101, after which they are
   * no longer HTTP): whoever waits for more can stop soon. False when a response is cut short,
   * its length is unknown (no framing: it ends at the close; a body-less answer to HEAD) or the
   * bytes are not HTTP.
   */
  readonly complete: boolean;
}

const STATUS_LINE = /^HTTP\/\d\.\d (\d{3})(?: [^\r\n]*)?$/;

/** Reads what a server sent back on one connection (latin1) as a sequence of HTTP/1.x responses. */
export function readResponses(text: string): ResponseReading {
  const statuses: number[] = [];
  let cursor = 0;
  while (cursor < text.length) {
    const headEnd = text.indexOf('\r\n\r\n', cursor);
    if (headEnd < 0) return { statuses, complete: false };
    const lines = text.slice(cursor, headEnd).split('\r\n');
    const match = STATUS_LINE.exec(lines[0] ?? '');
    if (match === null) return { statuses, complete: false };
    const status = Number(match[1]);
    statuses.push(status);
    cursor = headEnd + 4;
    if (status === 101) return { statuses, complete: true };
    if (status < 200 || status === 204 || status === 304) continue;
    const header = (name: string) =>
      lines
        .slice(1)
        .find((entry) => entry.toLowerCase().startsWith(`${name}:`))
        ?.slice(name.length + 1)
        .trim();
    if (header('transfer-encoding')?.toLowerCase() === 'chunked') {
      for (;;) {
        const sizeEnd = text.indexOf('\r\n', cursor);
        if (sizeEnd < 0) return { statuses, complete: false };
        const size = Number.parseInt(text.slice(cursor, sizeEnd), 16);
        if (Number.isNaN(size)) return { statuses, complete: false };
        if (size === 0) {
          const trailerEnd = text.indexOf('\r\n\r\n', sizeEnd);
          if (trailerEnd < 0) return { statuses, complete: false };
          cursor = trailerEnd + 4;
          break;
        }
        cursor = sizeEnd + 2 + size + 2;
        if (cursor > text.length) return { statuses, complete: false };
      }
      continue;
    }
    const length = header('content-length');
    if (length === undefined || !/^\d+$/.test(length)) return { statuses, complete: false };
    cursor += Number(length);
    if (cursor > text.length) return { statuses, complete: false };
  }
  return { statuses, complete: statuses.length > 0 };
}
