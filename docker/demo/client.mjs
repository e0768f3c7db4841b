// wharf/demo client: the browser-facing tier of the three-tier demo (client → service →
// memcached). It finds `service` through DNS: an SRV query (`_service._tcp.wharf`, answered by
// wharf-edge's DNS listener, here through `docker run --dns <edge>`) gives the serving endpoints'
// ports and address names; nothing about `service` is configured but its name.
//
//   GET /        asks a service instance and answers "client <instance> → <its answer>"
//                (an instance that refuses or answers 5xx is skipped for the next; 502 if none answers)
//   GET /health  200
//
// Env: PORT (8080), INSTANCE (hostname), UPSTREAM_SRV (_service._tcp.wharf), SHUTDOWN_DELAY_MS (0).
import { promises as dns } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { hostname } from 'node:os';
import { serveTier } from './tier-server.mjs';

const port = Number(process.env.PORT || 8080);
const instance = process.env.INSTANCE || hostname();
const upstream = process.env.UPSTREAM_SRV || '_service._tcp.wharf';
const shutdownDelayMs = Number(process.env.SHUTDOWN_DELAY_MS || 0);
/** SRV answers are reused this long: a short cache of the DNS TTL's order, not a stale copy. */
const SRV_CACHE_MS = 1_000;
const UPSTREAM_TIMEOUT_MS = 3_000;

function log(message, fields = {}) {
  console.log(JSON.stringify({ time: new Date().toISOString(), instance, message, ...fields }));
}

let cached = { at: 0, records: [] };
let rotation = 0;

/** The SRV records, best priority first, rotated so that requests spread over the instances. */
async function endpoints() {
  if (Date.now() - cached.at > SRV_CACHE_MS) {
    try {
      cached = { at: Date.now(), records: await dns.resolveSrv(upstream) };
    } catch (error) {
      // NXDOMAIN or NODATA: nothing serves; other errors keep the last answer for a moment.
      if (error.code === 'ENOTFOUND' || error.code === 'ENODATA') cached = { at: Date.now(), records: [] };
      else log('dns failed', { upstream, code: error.code });
    }
  }
  const records = [...cached.records].sort((a, b) => a.priority - b.priority);
  const start = rotation++ % Math.max(records.length, 1);
  return [...records.slice(start), ...records.slice(0, start)];
}

function ask(record) {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: record.name, port: record.port, path: '/', timeout: UPSTREAM_TIMEOUT_MS },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

async function callService() {
  const tried = [];
  for (const record of await endpoints()) {
    try {
      const answer = await ask(record);
      if (answer.status < 500) return answer;
      tried.push(`${record.name}:${record.port} ${answer.status} ${answer.body.trim()}`);
    } catch (error) {
      tried.push(`${record.name}:${record.port} ${error.message}`);
    }
  }
  return {
    status: 502,
    body: `no ${upstream} instance answered${tried.length ? `: ${tried.join('; ')}` : ''}\n`,
  };
}

serveTier({
  port,
  instance,
  shutdownDelayMs,
  log,
  listening: { upstream },
  answer: () =>
    callService().then(
      (answer) => ({ status: answer.status, body: `client ${instance} → ${answer.body}` }),
      (error) => ({ status: 500, body: `client ${instance}: ${error.message}\n` }),
    ),
});
