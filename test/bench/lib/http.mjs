import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/** GET with a deadline; resolves {status, headers, body} or rejects on network error. */
export function get(url, { host, agent, timeoutMs = 2_000 } = {}) {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: host ? { host } : {}, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** Polls until `url` answers with `status` (default any 2xx); returns the elapsed ms. */
export async function waitForHttp(
  url,
  { host, status, timeoutMs = 20_000, intervalMs = 20, agent, alive = () => true } = {},
) {
  const started = performance.now();
  let last = 'no answer';
  while (performance.now() - started < timeoutMs) {
    if (!alive()) throw new Error(`${url}: the process serving it exited`);
    try {
      const response = await get(url, { host, agent, timeoutMs: 1_000 });
      if (status ? response.status === status : response.status >= 200 && response.status < 300) {
        return performance.now() - started;
      }
      last = `status ${response.status}`;
    } catch (error) {
      last = error.message;
    }
    if (intervalMs > 0) await sleep(intervalMs);
  }
  throw new Error(`${url} (Host ${host ?? '-'}) not ready after ${timeoutMs} ms: ${last}`);
}
