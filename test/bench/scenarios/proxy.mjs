// Scenario "proxy": requests/s and latency through wharf-edge and peer proxies, same backend,
// same load generator, interleaved rounds.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startEtcd } from '../lib/etcd.mjs';
import { waitForHttp } from '../lib/http.mjs';
import { groupUsage } from '../lib/processes.mjs';
import { progress } from '../lib/progress.mjs';
import { resultsDir } from '../lib/report.mjs';
import { median, round } from '../lib/stats.mjs';
import { edgeBuilt, endpointRecord, putEndpoint, startEdge } from '../lib/wharf.mjs';
import { wrk } from '../lib/wrk.mjs';
import { startCaddy } from '../peers/caddy.mjs';
import { startHaproxy } from '../peers/haproxy.mjs';
import { startBackend, startNginxProxy } from '../peers/nginx.mjs';
import { startRedbird } from '../peers/redbird.mjs';

export const HOST = 'bench.local';
const SIZES = { small: '/small', '16k': '/16k' };

/**
 * CPU placement on a 2-core machine. With one proxy worker the proxy gets a core to itself and
 * wrk shares the other with the backend, so every proxy runs under identical conditions and
 * its own CPU use shows whether it was the bottleneck. Two workers need both cores, so nothing
 * is pinned and all processes compete, as they would in production.
 */
function placement(workers) {
  return workers === 1 ? { proxy: '1', load: '0', backend: '0' } : { proxy: undefined, load: undefined };
}

async function startTargets({ workers, etcd, backend, cpus, profile, baseline, only }) {
  const common = { backendPort: backend.port, workers, cpus };
  const wanted = (name) => only === undefined || only.includes(name);
  const targets = wanted('direct') ? [{ name: 'direct', port: backend.port, handle: backend.handle }] : [];
  if (edgeBuilt()) {
    // A CPU profile is written when the edge exits: open it in Chrome DevTools or speedscope.
    const nodeArgs = profile ? ['--cpu-prof', `--cpu-prof-dir=${join(resultsDir, 'tmp')}`] : [];
    if (wanted('wharf-edge')) {
      const edge = await startEdge({ etcd: etcd.endpoint, workers, cpus, nodeArgs });
      targets.push({ name: 'wharf-edge', port: edge.port, handle: edge.handle });
    }
    if (wanted('wharf-edge-haproxy')) {
      // The HAProxy data plane: HAProxy (one thread per worker) driven by the edge, pinned alike.
      const plane = await startEdge({
        etcd: etcd.endpoint,
        workers,
        cpus,
        env: { WHARF_DATAPLANE: 'haproxy' },
        name: 'wharf-edge-haproxy',
      });
      targets.push({ name: 'wharf-edge-haproxy', port: plane.port, handle: plane.handle });
    }
  } else {
    progress('proxy: packages/edge/dist/main.js missing (run npx tsc -b); wharf-edge skipped');
  }
  if (baseline !== undefined) {
    // Another build of the edge (e.g. main before a change), measured in the same rounds.
    const main = join(resolve(baseline), 'packages/edge/dist/main.js');
    if (!existsSync(main)) throw new Error(`--baseline: ${main} does not exist (build that checkout first)`);
    const edge = await startEdge({ etcd: etcd.endpoint, workers, cpus, main, name: 'wharf-edge-baseline' });
    targets.push({ name: 'wharf-edge-baseline', port: edge.port, handle: edge.handle });
  }
  // nginx is the reference every ratio is taken against: always measured.
  targets.push({ name: 'nginx', ...(await startNginxProxy(common)) });
  if (wanted('haproxy')) targets.push({ name: 'haproxy', ...(await startHaproxy(common)) });
  if (wanted('caddy')) targets.push({ name: 'caddy', ...(await startCaddy(common)) });
  if (wanted('redbird')) targets.push({ name: 'redbird', ...(await startRedbird(common)) });
  for (const target of targets) {
    target.url = `http://127.0.0.1:${target.port}`;
    const since = performance.now();
    try {
      await waitForHttp(`${target.url}/small`, {
        host: HOST,
        timeoutMs: 20_000,
        alive: () => target.handle.running,
      });
    } catch (error) {
      throw new Error(
        `${target.name} does not answer: ${error.message}\n${target.handle.log().slice(-1500)}`,
      );
    }
    progress(`proxy: ${target.name} answers (waited ${Math.round(performance.now() - since)} ms)`);
  }
  return targets;
}

async function measure(target, path, { connections, durationSeconds, cpus }) {
  const before = groupUsage(target.handle.pid);
  const started = performance.now();
  const result = await wrk({ url: `${target.url}${path}`, host: HOST, connections, durationSeconds, cpus });
  const elapsedSeconds = (performance.now() - started) / 1000;
  const after = groupUsage(target.handle.pid);
  // CPU the target used, in cores: ~1.0 with one pinned worker means the proxy was the limit.
  result.cpuCores = (after.cpuSeconds - before.cpuSeconds) / elapsedSeconds;
  return result;
}

function summarise(rounds) {
  const pick = (key) => median(rounds.map((r) => r[key]));
  return {
    requestsPerSecond: round(pick('requestsPerSecond'), 0),
    p50Ms: round(pick('p50Ms'), 2),
    p99Ms: round(pick('p99Ms'), 2),
    cpuCores: round(pick('cpuCores'), 2),
    errors: rounds.reduce((sum, r) => sum + r.errors, 0),
    rounds: rounds.map((r) => ({
      requestsPerSecond: round(r.requestsPerSecond, 0),
      p50Ms: r.p50Ms,
      p99Ms: r.p99Ms,
      cpuCores: round(r.cpuCores, 2),
      errors: r.errors,
    })),
  };
}

export async function run({ options, signal }) {
  const workerCounts = options.workers ?? [1, 2];
  const load = { connections: options.connections, durationSeconds: options.duration };
  // Node's JIT needs a few seconds per worker before its figures settle; every target gets the same.
  const warmupSeconds = options.quick ? 2 : 4;
  const etcd = await startEtcd();
  const runs = [];
  try {
    for (const workers of workerCounts) {
      const cpus = placement(workers);
      progress(`proxy: ${workers} worker(s): starting backend and targets`);
      const backend = await startBackend({ workers: 1, cpus: cpus.backend });
      await putEndpoint(
        etcd.client,
        endpointRecord({ service: 'bench', id: 'bench:backend:80', port: backend.port, hosts: [HOST] }),
      );
      const targets = await startTargets({
        workers,
        etcd,
        backend,
        cpus: cpus.proxy,
        profile: options.profile,
        baseline: options.baseline,
        only: options.targets,
      });
      try {
        for (const target of targets) {
          for (const path of Object.values(SIZES)) {
            signal.throwIfAborted();
            await wrk({
              url: `${target.url}${path}`,
              host: HOST,
              connections: load.connections,
              durationSeconds: warmupSeconds,
              cpus: cpus.load,
            });
          }
        }
        const samples = new Map();
        for (let roundIndex = 0; roundIndex < options.rounds; roundIndex++) {
          // Rotate the order each round so no target always runs first or after the same peer.
          const order = targets.map((_, i) => targets[(i + roundIndex) % targets.length]);
          for (const [size, path] of Object.entries(SIZES)) {
            for (const target of order) {
              signal.throwIfAborted();
              const result = await measure(target, path, { ...load, cpus: cpus.load });
              const key = `${size}|${target.name}`;
              samples.set(key, [...(samples.get(key) ?? []), result]);
              progress(
                `proxy: workers=${workers} round ${roundIndex + 1}/${options.rounds} ${size.padEnd(5)} ${target.name.padEnd(10)} ` +
                  `${Math.round(result.requestsPerSecond)} req/s p99 ${result.p99Ms?.toFixed(2)} ms cpu ${result.cpuCores.toFixed(2)}`,
              );
            }
          }
        }
        const sizes = {};
        for (const size of Object.keys(SIZES)) {
          const rows = {};
          for (const target of targets) rows[target.name] = summarise(samples.get(`${size}|${target.name}`));
          sizes[size] = compareToNginx(rows);
        }
        runs.push({ workers, placement: cpus, sizes });
      } finally {
        await Promise.all(targets.map((target) => target.handle.stop()));
      }
    }
  } finally {
    await etcd.close();
  }
  return {
    settings: {
      loadGenerator: 'wrk -t1 --latency',
      connections: load.connections,
      durationSeconds: load.durationSeconds,
      rounds: options.rounds,
      warmupSeconds,
      backend: 'nginx, 1 worker, static files (small: 29 B, 16k: 16384 B)',
      host: HOST,
    },
    runs,
  };
}

/**
 * Ratios to nginx are medians of per-round ratios: within a round the targets run back to
 * back, so background load on a shared machine affects both sides of each ratio alike.
 * Requests per CPU-second of the target is the same comparison with stolen CPU factored out.
 */
export function compareToNginx(rows) {
  const nginx = rows.nginx.rounds;
  const compared = {};
  for (const [name, row] of Object.entries(rows)) {
    const perCore = (r) => (r.cpuCores > 0 ? r.requestsPerSecond / r.cpuCores : null);
    const ratios = row.rounds.map((r, i) => r.requestsPerSecond / nginx[i].requestsPerSecond);
    const efficiency = row.rounds.map((r, i) => perCore(r) / perCore(nginx[i]));
    compared[name] = {
      ...row,
      ratioToNginx: round(median(ratios), 2),
      requestsPerCpuSecond: round(median(row.rounds.map(perCore)), 0),
      efficiencyToNginx: round(median(efficiency), 2),
    };
  }
  return compared;
}

/**
 * The edge against another build of itself measured in the same rounds (`--baseline`): medians
 * of per-round ratios of throughput and of CPU time per request.
 */
export function compareToBaseline(rows) {
  const edge = rows['wharf-edge']?.rounds;
  const baseline = rows['wharf-edge-baseline']?.rounds;
  if (!edge || !baseline) return undefined;
  const cpuPerRequest = (r) => (r.requestsPerSecond > 0 ? (r.cpuCores / r.requestsPerSecond) * 1e6 : null);
  return {
    throughputRatio: round(
      median(edge.map((r, i) => r.requestsPerSecond / baseline[i].requestsPerSecond)),
      2,
    ),
    cpuPerRequestRatio: round(median(edge.map((r, i) => cpuPerRequest(r) / cpuPerRequest(baseline[i]))), 2),
    cpuPerRequestMicros: round(median(edge.map(cpuPerRequest)), 1),
    baselineCpuPerRequestMicros: round(median(baseline.map(cpuPerRequest)), 1),
  };
}

/** The bars per plane: the built-in plane's (0.6× nginx) and the HAProxy plane's (issue: 0.9×). */
const PLANE_BARS = [
  { target: 'wharf-edge', label: 'edge (builtin)', ratio: 0.6 },
  { target: 'wharf-edge-haproxy', label: 'edge (haproxy)', ratio: 0.9 },
];

export function bars(result) {
  return result.runs.flatMap((r) =>
    Object.entries(r.sizes).flatMap(([size, measured]) => {
      const rows = compareToNginx(measured);
      return PLANE_BARS.filter(({ target }) => rows[target]).map(({ target, label, ratio }) => {
        const edge = rows[target];
        return {
          bar: `${label} throughput ≥ ${ratio}× nginx (${r.workers} worker${r.workers > 1 ? 's' : ''}, ${size})`,
          measured:
            `${edge.ratioToNginx}× (median ${edge.requestsPerSecond} vs ${rows.nginx.requestsPerSecond} req/s); ` +
            `per CPU-second ${edge.efficiencyToNginx}×; p99 ${edge.p99Ms} vs ${rows.nginx.p99Ms} ms`,
          met: edge.ratioToNginx >= ratio,
        };
      });
    }),
  );
}

export function markdown(result) {
  const lines = [
    `Load: ${result.settings.loadGenerator}, ${result.settings.connections} connections, ${result.settings.durationSeconds} s per round, ` +
      `${result.settings.rounds} interleaved rounds (medians shown), ${result.settings.warmupSeconds} s warm-up per target and size. ` +
      `Backend: ${result.settings.backend}.`,
    '',
    '"× nginx" is the median of per-round ratios. "target CPU" is the CPU the target\'s processes used during the round, ' +
      'in cores; with one pinned worker, well under 1.0 means something else limited it (the shared load core, or other work ' +
      'on the machine). "req per CPU-s" divides throughput by that CPU, a comparison of efficiency that background load ' +
      'disturbs less.',
    '',
  ];
  for (const r of result.runs) {
    const where = r.placement.proxy
      ? `proxy pinned to CPU ${r.placement.proxy}; wrk and backend pinned to CPU ${r.placement.load}`
      : 'nothing pinned: proxy, wrk and backend share both cores';
    for (const [size, measured] of Object.entries(r.sizes)) {
      const rows = compareToNginx(measured);
      lines.push(`**${r.workers} worker(s), ${size} response** (${where})`, '');
      lines.push(
        '| target | req/s | × nginx | p50 ms | p99 ms | target CPU (cores) | req per CPU-s | × nginx per CPU-s | errors |',
      );
      lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
      for (const [name, row] of Object.entries(rows)) {
        lines.push(
          `| ${name} | ${row.requestsPerSecond} | ${row.ratioToNginx} | ${row.p50Ms} | ${row.p99Ms} | ${row.cpuCores} | ` +
            `${row.requestsPerCpuSecond} | ${row.efficiencyToNginx} | ${row.errors} |`,
        );
      }
      const versus = compareToBaseline(rows);
      if (versus)
        lines.push(
          '',
          `wharf-edge vs wharf-edge-baseline (medians of per-round ratios): ${versus.throughputRatio}× req/s, ` +
            `${versus.cpuPerRequestRatio}× CPU per request (${versus.cpuPerRequestMicros} vs ${versus.baselineCpuPerRequestMicros} µs)`,
        );
      lines.push('');
    }
  }
  return lines.join('\n');
}
