// Scenario "dns": queries/s and latency of wharf-edge's DNS listener against dnsmasq serving the
// same names from a hosts file, same load generator (dnsperf), interleaved rounds, same run.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../support/ports.ts';
import { startEtcd } from '../lib/etcd.mjs';
import { groupUsage, run as runCommand, start, tempDir } from '../lib/processes.mjs';
import { progress } from '../lib/progress.mjs';
import { median, percentile, round } from '../lib/stats.mjs';
import { edgeBuilt, endpointRecord, putEndpoints, startEdge } from '../lib/wharf.mjs';

const SERVICES = 200;
const ENDPOINTS_PER_SERVICE = 3;
/** The fixed rate of the latency runs: well below either server's limit, so no queueing. */
const LATENCY_QPS = 2_000;
/** Server on one core, dnsperf on the other (2-core machine), as the proxy scenario does. */
const CPUS = { server: '1', load: '0' };

const serviceName = (index) => `svc-${index}`;
const address = (service, replica) => `10.${(service >> 8) & 255}.${service & 255}.${replica + 1}`;

async function available(command) {
  try {
    await runCommand('sh', ['-c', `command -v ${command}`]);
    return true;
  } catch {
    return false;
  }
}

async function startDnsmasq(dir) {
  const hosts = join(dir, 'hosts');
  const lines = [];
  for (let service = 0; service < SERVICES; service++) {
    for (let replica = 0; replica < ENDPOINTS_PER_SERVICE; replica++)
      lines.push(`${address(service, replica)} ${serviceName(service)}.wharf`);
  }
  writeFileSync(hosts, `${lines.join('\n')}\n`);
  const port = await freePort();
  const handle = start(
    'dnsmasq',
    'dnsmasq',
    [
      '--keep-in-foreground',
      `--port=${port}`,
      '--listen-address=127.0.0.1',
      '--bind-interfaces',
      '--no-resolv',
      '--no-hosts',
      `--addn-hosts=${hosts}`,
      // Authoritative for the domain like the edge: unknown names are answered, not forwarded.
      '--local=/wharf/',
      '--user=root',
      '--pid-file=',
      '--log-facility=-',
    ],
    { cpus: CPUS.server, logDir: dir },
  );
  return { name: 'dnsmasq', port, handle };
}

/** Answers `name` with `count` addresses? dig +short, retried until the server is up. */
async function waitForAnswers(target, name, count) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const output = await runCommand('dig', [
      '@127.0.0.1',
      '-p',
      String(target.port),
      name,
      'A',
      '+short',
      '+time=1',
      '+tries=1',
    ]).catch(() => '');
    if (output.trim().split('\n').filter(Boolean).length === count) return;
    if (!target.handle.running)
      throw new Error(`${target.name} exited:\n${target.handle.log().slice(-1500)}`);
    if (Date.now() > deadline) throw new Error(`${target.name} does not answer ${name}: ${output}`);
    await sleep(100);
  }
}

/** One dnsperf run; per-query latencies come from its verbose lines (`> NOERROR name A 0.000693`). */
async function dnsperf(target, queries, { seconds, qps }) {
  const before = groupUsage(target.handle.pid);
  const started = performance.now();
  const output = await runCommand('taskset', [
    '-c',
    CPUS.load,
    'dnsperf',
    '-s',
    '127.0.0.1',
    '-p',
    String(target.port),
    '-d',
    queries,
    '-l',
    String(seconds),
    '-c',
    '4',
    '-q',
    '64',
    '-v',
    ...(qps ? ['-Q', String(qps)] : []),
  ]);
  const cpuCores =
    (groupUsage(target.handle.pid).cpuSeconds - before.cpuSeconds) / ((performance.now() - started) / 1000);
  const latenciesMs = [];
  let failed = 0;
  for (const match of output.matchAll(/^> (\S+) \S+ \S+ ([\d.]+)$/gm)) {
    if (match[1] !== 'NOERROR') failed += 1;
    latenciesMs.push(Number(match[2]) * 1000);
  }
  const queriesPerSecond = Number(/Queries per second:\s+([\d.]+)/.exec(output)?.[1]);
  const lost = Number(/Queries lost:\s+(\d+)/.exec(output)?.[1] ?? 0);
  return {
    queriesPerSecond,
    p50Ms: percentile(latenciesMs, 50),
    p99Ms: percentile(latenciesMs, 99),
    answered: latenciesMs.length,
    failed,
    lost,
    cpuCores,
  };
}

function summarise(runs) {
  const pick = (key) => median(runs.map((r) => r[key]));
  return {
    queriesPerSecond: round(pick('queriesPerSecond'), 0),
    p50Ms: round(pick('p50Ms'), 3),
    p99Ms: round(pick('p99Ms'), 3),
    cpuCores: round(pick('cpuCores'), 2),
    failed: runs.reduce((sum, r) => sum + r.failed + r.lost, 0),
    runs: runs.length,
  };
}

export async function run({ options, signal }) {
  if (!edgeBuilt()) return { skipped: 'packages/edge not built' };
  for (const tool of ['dnsmasq', 'dnsperf', 'dig', 'taskset']) {
    if (!(await available(tool))) return { skipped: `${tool} is not installed (./run.sh bench installs it)` };
  }
  const dir = tempDir('dns');
  const etcd = await startEtcd();
  try {
    const records = [];
    for (let service = 0; service < SERVICES; service++) {
      for (let replica = 0; replica < ENDPOINTS_PER_SERVICE; replica++) {
        const record = endpointRecord({
          service: serviceName(service),
          id: `bench:${serviceName(service)}-${replica}:80`,
          address: address(service, replica),
          port: 80,
          hosts: [],
        });
        records.push({ ...record, protocol: 'tcp' });
      }
    }
    await putEndpoints(etcd.client, records);
    const dnsPort = await freePort();
    const edge = await startEdge({
      etcd: etcd.endpoint,
      cpus: CPUS.server,
      logDir: dir,
      env: { WHARF_DNS_LISTEN: `127.0.0.1:${dnsPort}` },
    });
    const targets = [{ name: 'wharf-edge', port: dnsPort, handle: edge.handle }, await startDnsmasq(dir)];
    const lastService = `${serviceName(SERVICES - 1)}.wharf`;
    for (const target of targets) await waitForAnswers(target, lastService, ENDPOINTS_PER_SERVICE);

    // Every service once per pass, shuffled: what many clients resolving their dependencies ask.
    const names = Array.from({ length: SERVICES }, (_, i) => `${serviceName(i)}.wharf A`);
    for (let i = names.length - 1; i > 0; i--) {
      const j = (i * 7919) % (i + 1);
      [names[i], names[j]] = [names[j], names[i]];
    }
    const queries = join(dir, 'queries.txt');
    writeFileSync(queries, `${names.join('\n')}\n`);

    const seconds = options.duration;
    const measured = Object.fromEntries(targets.map((t) => [t.name, { max: [], fixed: [] }]));
    for (let roundIndex = 0; roundIndex < options.rounds; roundIndex++) {
      for (const target of targets) {
        signal.throwIfAborted();
        const max = await dnsperf(target, queries, { seconds });
        const fixed = await dnsperf(target, queries, { seconds, qps: LATENCY_QPS });
        measured[target.name].max.push(max);
        measured[target.name].fixed.push(fixed);
        progress(
          `dns: round ${roundIndex + 1}/${options.rounds} ${target.name}: ${Math.round(max.queriesPerSecond)} q/s ` +
            `(p99 ${round(max.p99Ms, 2)} ms, ${round(max.cpuCores, 2)} cores); at ${LATENCY_QPS} q/s p50 ${round(fixed.p50Ms, 3)} ms, p99 ${round(fixed.p99Ms, 3)} ms`,
        );
      }
    }
    return {
      setup: {
        services: SERVICES,
        endpointsPerService: ENDPOINTS_PER_SERVICE,
        query: 'A, each of the 200 names in turn (3 addresses each)',
        load: `dnsperf -c 4 -q 64 on CPU ${CPUS.load}, servers pinned to CPU ${CPUS.server}, ${seconds} s per run`,
        latencyQps: LATENCY_QPS,
      },
      results: Object.fromEntries(
        Object.entries(measured).map(([name, runs]) => [
          name,
          { max: summarise(runs.max), fixed: summarise(runs.fixed) },
        ]),
      ),
    };
  } finally {
    await etcd.close();
  }
}

export function bars(result) {
  if (result.skipped) return [];
  const wharf = result.results['wharf-edge'];
  const peer = result.results.dnsmasq;
  return [
    {
      bar: 'DNS: measured against dnsmasq (no bar set), 0 failed queries',
      measured: `${wharf.max.queriesPerSecond} q/s vs dnsmasq ${peer.max.queriesPerSecond} q/s (${round(wharf.max.queriesPerSecond / peer.max.queriesPerSecond, 2)}×); p99 at ${result.setup.latencyQps} q/s ${wharf.fixed.p99Ms} ms vs ${peer.fixed.p99Ms} ms; ${wharf.max.failed + wharf.fixed.failed} failed`,
      met: wharf.max.failed + wharf.fixed.failed === 0,
    },
  ];
}

export function markdown(result) {
  if (result.skipped) return `Skipped: ${result.skipped}.`;
  const rows = Object.entries(result.results).map(
    ([name, r]) =>
      `| ${name} | ${r.max.queriesPerSecond} | ${r.max.p50Ms} | ${r.max.p99Ms} | ${r.max.cpuCores} | ${r.fixed.p50Ms} | ${r.fixed.p99Ms} | ${r.max.failed + r.fixed.failed} |`,
  );
  return [
    `Setup: ${result.setup.services} services × ${result.setup.endpointsPerService} endpoints in etcd, answered by wharf-edge (WHARF_DNS_LISTEN) and by dnsmasq from a hosts file with the same names; ` +
      `query mix: ${result.setup.query}; ${result.setup.load}. Medians of ${Object.values(result.results)[0].max.runs} interleaved rounds.`,
    '',
    `| server | max q/s | p50 ms | p99 ms | server CPU (cores) | p50 ms at ${result.setup.latencyQps} q/s | p99 ms at ${result.setup.latencyQps} q/s | failed or lost |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    'At the maximum rate latency is mostly queueing in dnsperf (64 outstanding per client); the fixed-rate columns show the cost of one answer.',
  ].join('\n');
}
