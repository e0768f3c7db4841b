// A steady client: `concurrency` loops sending GET / with a Host header over keep-alive
// connections, recording when each request was sent, how it ended and which backend answered
// (the demo app's x-instance header). Times are epoch milliseconds with sub-ms precision, so
// they compare directly with Docker's event timestamps.
import { Agent } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { get } from './http.mjs';

export const nowMs = () => performance.timeOrigin + performance.now();

export function startRequestLoop({ url, host, concurrency = 2, pauseMs = 1 }) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const samples = [];
  const listeners = new Set();
  let stopped = false;
  const loop = async () => {
    while (!stopped) {
      const sentAt = nowMs();
      const sample = { sentAt, status: 0, instance: undefined, error: undefined };
      try {
        const response = await get(url, { host, agent, timeoutMs: 5_000 });
        sample.status = response.status;
        sample.instance = response.headers['x-instance'];
      } catch (error) {
        sample.error = error.code ?? error.message;
      }
      sample.doneAt = nowMs();
      samples.push(sample);
      for (const listener of listeners) listener(sample);
      if (pauseMs > 0) await sleep(pauseMs);
    }
  };
  const loops = Array.from({ length: concurrency }, loop);
  return {
    samples,
    /** Resolves with the first sample (from now on) matching `predicate`. */
    waitFor(predicate, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no matching response within ${timeoutMs} ms`));
        }, timeoutMs);
        const check = (sample) => {
          if (!predicate(sample)) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve(sample);
        };
        listeners.add(check);
      });
    },
    async stop() {
      stopped = true;
      await Promise.all(loops);
      agent.destroy();
    },
  };
}

export const failed = (sample) => sample.error !== undefined || sample.status >= 500;
