import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on a free loopback port that counts the bytes flowing each way, to measure what a
 * program reads from a server (etcd) without looking inside the protocol.
 */
export class CountingProxy {
  /** Bytes the server sent to clients since the last `reset()`. */
  received = 0;
  /** Bytes clients sent to the server since the last `reset()`. */
  sent = 0;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  private constructor(target: { host: string; port: number }) {
    this.#server = createServer((client) => {
      const upstream = connect(target);
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on('close', () => this.#sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.on('data', (chunk: Buffer) => {
        this.sent += chunk.length;
      });
      upstream.on('data', (chunk: Buffer) => {
        this.received += chunk.length;
      });
      client.pipe(upstream).pipe(client);
    });
  }

  /** Starts a proxy in front of `url`'s host and port (`http://127.0.0.1:2379`). */
  static async start(url: string): Promise<CountingProxy> {
    const { hostname, port } = new URL(url);
    const proxy = new CountingProxy({ host: hostname, port: Number(port) });
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** The proxy's URL, with the scheme of the server behind it. */
  url(scheme = 'http'): string {
    const address = this.#server.address() as { port: number };
    return `${scheme}://127.0.0.1:${address.port}`;
  }

  reset(): void {
    this.received = 0;
    this.sent = 0;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}
