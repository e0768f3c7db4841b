// The HTTP side both middle tiers of the three-tier demo share: `/health`, `/` answered by the
// tier's own `answer()`, and a graceful stop (keeps serving SHUTDOWN_DELAY_MS after SIGTERM,
// telling keep-alive clients to close, as an app behind a proxy should).
import { createServer } from 'node:http';

/**
 * @param {{ port: number, instance: string, shutdownDelayMs: number,
 *   log: (message: string, fields?: object) => void,
 *   answer: () => Promise<{ status: number, body: string }>, listening?: object }} options
 */
export function serveTier({ port, instance, shutdownDelayMs, log, answer, listening = {} }) {
  let shuttingDown = false;
  const server = createServer((request, response) => {
    request.resume();
    const send = (status, body) => {
      response.writeHead(status, {
        'content-type': 'text/plain; charset=utf-8',
        'x-instance': instance,
        ...(shuttingDown ? { connection: 'close' } : {}),
      });
      response.end(body);
    };
    const path = new URL(request.url ?? '/', 'http://tier').pathname;
    if (path === '/health') return send(200, 'ok\n');
    if (path !== '/') return send(404, 'not found\n');
    answer().then(({ status, body }) => send(status, body));
  });
  server.keepAliveTimeout = 65_000;
  server.listen(port, () => log('listening', { port, ...listening }));

  const shutdown = (signal) => {
    if (shuttingDown) return;
    shuttingDown = true;
    log('shutdown requested', { signal, delayMs: shutdownDelayMs });
    setTimeout(() => {
      server.close(() => process.exit(0));
      server.closeIdleConnections();
      setInterval(() => server.closeIdleConnections(), 100).unref();
      setTimeout(() => process.exit(0), 10_000).unref();
    }, shutdownDelayMs);
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
