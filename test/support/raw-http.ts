import { connect, createServer, type Server, type Socket } from 'node:net';
import { readResponses } from './http-responses.js';

export interface RawExchange {
  /** Everything the server sent back. */
  readonly text: string;
  /** True when the server closed the connection (rather than our timeout ending the wait). */
  readonly closed: boolean;
  readonly elapsedMs: number;
}

export interface RawExchangeOptions {
  /** The longest the exchange may take (default 5 s). */
  readonly timeoutMs?: number;
  /** Quiet time after the last byte that ends the wait (default 300 ms). */
  readonly quietMs?: number;
  /**
   * Quiet time that ends the wait once what arrived reads as complete responses (default:
   * `quietMs`). Short values let many exchanges run quickly; a response that keeps coming
   * restarts the wait either way.
   */
  readonly settleMs?: number;
  /** Pause between the parts of a payload (default 0). */
  readonly gapMs?: number;
  /** Half-close the connection after the last part (a client that has nothing more to send). */
  readonly endAfterWrite?: boolean;
}

/**
 * Writes raw bytes to a TCP port (as a hostile client would, bypassing any HTTP library's
 * checks) and collects the answer until the server closes, or until `quietMs` pass without
 * new data after something arrived (`settleMs` when it reads as complete responses), or
 * `timeoutMs` in all.
 */
export function rawExchange(
  port: number,
  payload: string | readonly string[],
  options: RawExchangeOptions = {},
): Promise<RawExchange> {
  const { timeoutMs = 5_000, quietMs = 300, gapMs = 0 } = options;
  const settleMs = options.settleMs ?? quietMs;
  const parts = typeof payload === 'string' ? [payload] : payload;
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let settled = false;
    let quiet: NodeJS.Timeout | undefined;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(overall);
      clearTimeout(quiet);
      socket.destroy();
      resolve({ text, closed, elapsedMs: Date.now() - started });
    };
    const overall = setTimeout(() => finish(false), timeoutMs);
    // Quiet ends the wait only once every part is out: an answer to the first part is no
    // reason to leave before sending the rest.
    let sending = true;
    const waitForQuiet = () => {
      clearTimeout(quiet);
      if (sending || text === '') return;
      const wait = settleMs !== quietMs && readResponses(text).complete ? settleMs : quietMs;
      quiet = setTimeout(() => finish(false), wait);
    };
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      waitForQuiet();
    });
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.on('connect', async () => {
      for (const [index, part] of parts.entries()) {
        if (socket.destroyed) return;
        if (index > 0 && gapMs > 0) await new Promise((wait) => setTimeout(wait, gapMs));
        socket.write(part, 'latin1');
      }
      if (options.endAfterWrite && !socket.destroyed) socket.end();
      sending = false;
      waitForQuiet();
    });
  });
}

/**
 * A TCP listener that must never be reached: the edge may only forward to addresses from the
 * registry, and this one is never registered. It counts connections and keeps the first bytes.
 */
export class Canary {
  readonly server: Server;
  readonly received: string[] = [];
  connections = 0;

  private constructor() {
    this.server = createServer((socket: Socket) => {
      this.connections += 1;
      socket.on('data', (chunk) => this.received.push(chunk.toString('latin1').slice(0, 200)));
      socket.on('error', () => {});
      socket.end('HTTP/1.1 200 OK\r\ncontent-length: 6\r\nconnection: close\r\n\r\ncanary');
    });
  }

  static async start(): Promise<Canary> {
    const canary = new Canary();
    await new Promise<void>((resolve) => canary.server.listen(0, '127.0.0.1', resolve));
    return canary;
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  async close(): Promise<void> {
    await new Promise((resolve) => this.server.close(resolve));
  }
}
