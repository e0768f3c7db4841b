// wharf/demo: a tiny HTTP app that tests and demos register, route to, break and stop.
//
//   GET  /             "hello from <instance>\n", header x-instance: <instance>
//   GET  /health       200 "ok" or 503 "failing"
//   POST /health/fail  make /health answer 503 until /health/pass
//   POST /health/pass  make /health answer 200 again
//   GET  /slow?ms=N    answer after N ms (in-flight requests during deploys)
//   GET  /headers      the request as JSON (what a proxy forwarded)
//
// Env: PORT (8080), INSTANCE (hostname), SHUTDOWN_DELAY_MS (0), SHUTDOWN_TIMEOUT_MS (30000).
// On SIGTERM/SIGINT it keeps serving for SHUTDOWN_DELAY_MS (time for the registry to drain it),
// then stops accepting, lets in-flight requests finish and exits 0.
import { createServer } from 'node:http';
import { hostname } from 'node:os';

function integerFromEnv(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    console.error(`demo: ${name}=${JSON.stringify(raw)} is not a non-negative integer`);
    process.exit(2);
  }
  return value;
}

const port = integerFromEnv('PORT', 8080);
const shutdownDelayMs = integerFromEnv('SHUTDOWN_DELAY_MS', 0);
const shutdownTimeoutMs = integerFromEnv('SHUTDOWN_TIMEOUT_MS', 30_000);
const instance = process.env.INSTANCE || hostname();
const maxSlowMs = 10 * 60_000;

let healthy = true;
let shuttingDown = false;
const inFlight = new Set();

function log(message, fields = {}) {
  console.log(JSON.stringify({ time: new Date().toISOString(), instance, message, ...fields }));
}

function send(response, status, body, type = 'text/plain; charset=utf-8') {
  response.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'x-instance': instance,
    // Once shutting down, tell keep-alive clients not to reuse this connection.
    ...(shuttingDown ? { connection: 'close' } : {}),
  });
  response.end(body);
}

function handle(request, response) {
  const url = new URL(request.url ?? '/', 'http://demo');
  const route = `${request.method} ${url.pathname}`;
  switch (route) {
    case 'GET /':
    case 'HEAD /':
      return send(response, 200, `hello from ${instance}\n`);
    case 'GET /health':
    case 'HEAD /health':
      return healthy ? send(response, 200, 'ok\n') : send(response, 503, 'failing\n');
    case 'POST /health/fail':
      if (healthy) log('health set to failing');
      healthy = false;
      return send(response, 200, 'failing\n');
    case 'POST /health/pass':
      if (!healthy) log('health set to passing');
      healthy = true;
      return send(response, 200, 'ok\n');
    case 'GET /slow': {
      const ms = Number(url.searchParams.get('ms') ?? '1000');
      if (!Number.isFinite(ms) || ms < 0 || ms > maxSlowMs) {
        return send(response, 400, `ms must be 0..${maxSlowMs}\n`);
      }
      const timer = setTimeout(() => send(response, 200, `slow ${ms}ms from ${instance}\n`), ms);
      response.on('close', () => clearTimeout(timer));
      return;
    }
    case 'GET /headers': {
      const body = JSON.stringify({
        instance,
        method: request.method,
        url: request.url,
        httpVersion: request.httpVersion,
        remoteAddress: request.socket.remoteAddress,
        headers: request.headers,
      });
      return send(response, 200, `${body}\n`, 'application/json');
    }
    default:
      return send(response, 404, 'not found\n');
  }
}

const server = createServer((request, response) => {
  inFlight.add(response);
  response.on('close', () => inFlight.delete(response));
  // Drain the body (POSTs) so the connection can be reused.
  request.resume();
  handle(request, response);
});
server.keepAliveTimeout = 65_000;

server.listen(port, () => log('listening', { port, shutdownDelayMs }));

async function shutdown(signal) {
  if (shuttingDown) return;
  shuttingDown = true;
  log('shutdown requested', { signal, delayMs: shutdownDelayMs });
  if (shutdownDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, shutdownDelayMs));

  const forced = setTimeout(() => {
    log('shutdown timeout; closing remaining connections', { inFlight: inFlight.size });
    server.closeAllConnections();
    process.exit(0);
  }, shutdownTimeoutMs);
  forced.unref();

  log('closing listener', { inFlight: inFlight.size });
  server.close(() => {
    log('stopped');
    process.exit(0);
  });
  // Idle keep-alive sockets would hold close() open; busy ones close after their response.
  server.closeIdleConnections();
  const sweep = setInterval(() => server.closeIdleConnections(), 100);
  sweep.unref();
}

process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
