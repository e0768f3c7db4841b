import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The real Docker Engine behind a unix socket, except that its event stream and container list
 * only show containers carrying a label nobody sets: an idle Docker host, however busy the
 * machine's real engine is with other tests. Every other call is passed through unchanged.
 */
export class QuietDocker {
  readonly #dir = mkdtempSync(join(tmpdir(), 'wharf-quiet-docker-'));
  readonly path = join(this.#dir, 'docker.sock');
  /** Number of `/events` subscriptions seen. */
  subscriptions = 0;
  readonly #server: Server;

  constructor() {
    const silence = `wharf.quiet=${randomUUID()}`;
    this.#server = createServer((incoming, outgoing) => {
      const url = new URL(incoming.url ?? '/', 'http://docker');
      if (url.pathname.endsWith('/events')) this.subscriptions += 1;
      if (url.pathname.endsWith('/events') || url.pathname.endsWith('/containers/json')) {
        const filters = JSON.parse(url.searchParams.get('filters') ?? '{}') as Record<string, string[]>;
        url.searchParams.set('filters', JSON.stringify({ ...filters, label: [silence] }));
      }
      const upstream = request(
        {
          socketPath: '/var/run/docker.sock',
          method: incoming.method,
          path: `${url.pathname}${url.search}`,
          headers: incoming.headers,
        },
        (response) => {
          outgoing.writeHead(response.statusCode ?? 502, response.headers);
          // The event stream's headers come at once, its first line only with the first event.
          outgoing.flushHeaders();
          response.pipe(outgoing);
        },
      );
      upstream.on('error', () => outgoing.destroy());
      outgoing.on('close', () => upstream.destroy());
      incoming.pipe(upstream);
    });
  }

  get dockerHost(): string {
    return `unix://${this.path}`;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(this.path, resolve));
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
