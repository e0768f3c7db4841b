import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: readonly string[];
  readonly body: string;
}

/**
 * A backend that keeps every byte it receives, per connection, and what its own HTTP parser
 * made of them — the view a smuggled request would have from behind the edge. It answers each
 * request with 200 and its URL, or, when `rawResponse` is set, writes those bytes once per
 * connection instead (a misbehaving backend: a 101 out of the blue, two Content-Lengths…).
 */
export class RecordingBackend {
  readonly server: Server;
  /** Raw bytes received, one string (latin1) per connection, in arrival order. */
  readonly connections: string[] = [];
  readonly requests: RecordedRequest[] = [];
  rawResponse: string | undefined;

  private constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.requests.push({
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          rawHeaders: req.rawHeaders,
          body: Buffer.concat(chunks).toString('latin1'),
        });
        if (this.rawResponse !== undefined) return;
        res.setHeader('x-backend', 'recorder');
        res.end(`recorded ${req.method} ${req.url}\n`);
      });
    });
    this.server.on('connection', (socket: Socket) => {
      const index = this.connections.push('') - 1;
      let answered = false;
      socket.on('data', (chunk: Buffer) => {
        this.connections[index] += chunk.toString('latin1');
        if (this.rawResponse !== undefined && !answered) {
          answered = true;
          socket.write(this.rawResponse, 'latin1');
        }
      });
      socket.on('error', () => {});
    });
    this.server.on('clientError', (_error, socket) => socket.destroy());
  }

  static async start(): Promise<RecordingBackend> {
    const backend = new RecordingBackend();
    await new Promise<void>((resolve) => backend.server.listen(0, '127.0.0.1', resolve));
    return backend;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  reset(): void {
    this.connections.length = 0;
    this.requests.length = 0;
    this.rawResponse = undefined;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
