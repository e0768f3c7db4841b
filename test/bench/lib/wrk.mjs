// Runs Debian's wrk and parses its --latency report.
import { run } from './processes.mjs';

const UNIT_MS = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function toMs(text) {
  const match = /^([\d.]+)(us|ms|s|m|h)$/.exec(text);
  if (!match) throw new Error(`wrk: cannot parse duration ${JSON.stringify(text)}`);
  return Number(match[1]) * UNIT_MS[match[2]];
}

export function parseWrk(output) {
  const percentile = (p) => {
    const match = new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(output);
    return match ? toMs(match[1]) : null;
  };
  const total = /(\d+) requests in ([\d.]+\w+)/.exec(output);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(output);
  if (!total || !rps) throw new Error(`wrk: unexpected output:\n${output}`);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(output);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const socketErrors = socket ? socket.slice(1).reduce((sum, value) => sum + Number(value), 0) : 0;
  return {
    requestsPerSecond: Number(rps[1]),
    requests: Number(total[1]),
    p50Ms: percentile(50),
    p99Ms: percentile(99),
    errors: (non2xx ? Number(non2xx[1]) : 0) + socketErrors,
  };
}

/** One wrk run; `cpus` pins wrk with taskset. */
export async function wrk({ url, host, connections, durationSeconds, threads = 1, cpus }) {
  const args = [
    `-t${threads}`,
    `-c${connections}`,
    `-d${durationSeconds}s`,
    '--latency',
    ...(host ? ['-H', `Host: ${host}`] : []),
    url,
  ];
  const [file, argv] = cpus ? ['taskset', ['-c', cpus, 'wrk', ...args]] : ['wrk', args];
  return parseWrk(await run(file, argv, { timeout: (durationSeconds + 30) * 1000 }));
}
