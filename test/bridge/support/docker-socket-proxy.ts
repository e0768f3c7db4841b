import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A unix socket that forwards to the real Docker socket and can be cut off, to play a Docker
 * Engine that restarts: `down()` drops every connection and refuses new ones, `up()` accepts again.
 */
export class DockerSocketProxy {
  readonly #dir = mkdtempSync(join(tmpdir(), 'wharf-docker-proxy-'));
  readonly path = join(this.#dir, 'docker.sock');
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;

  get dockerHost(): string {
    return `unix://${this.path}`;
  }

  async up(): Promise<void> {
    if (this.#server) return;
    const server = createServer((client) => {
      const upstream = createConnection('/var/run/docker.sock');
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on('close', () => this.#sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    this.#server = server;
    await new Promise<void>((resolve) => server.listen(this.path, resolve));
  }

  async down(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) socket.destroy();
    if (server) await new Promise((resolve) => server.close(resolve));
  }

  async close(): Promise<void> {
    await this.down();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
