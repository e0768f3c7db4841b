// Scenario "scale": large tables in etcd — edge cold start, RSS, change-to-routable latency as
// the table grows, and a host-mode bridge registering 100 containers.
import { Agent } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  dockerAvailable,
  imageExists,
  inBatches,
  RUN_ID,
  removeContainers,
  runContainer,
} from '../lib/docker.mjs';
import { startEtcd } from '../lib/etcd.mjs';
import { groupUsage, start } from '../lib/processes.mjs';
import { progress } from '../lib/progress.mjs';
import { median, round, summary } from '../lib/stats.mjs';
import {
  bridgeBuilt,
  bridgeMain,
  edgeBuilt,
  endpointRecord,
  PREFIX,
  putEndpoint,
  putEndpoints,
  startEdge,
  waitRoutable,
} from '../lib/wharf.mjs';
import { startBackend } from '../peers/nginx.mjs';

const ENDPOINTS_PER_HOST = 10;

function rounded(values) {
  const s = summary(values);
  return { n: s.n, p50: round(s.p50), p99: round(s.p99), max: round(s.max) };
}

/** Endpoints `from`..`to`-1, ten per host; they point at closed ports because none is requested. */
function tableRecords(from, to) {
  const records = [];
  for (let index = from; index < to; index++) {
    const host = Math.floor(index / ENDPOINTS_PER_HOST);
    records.push(
      endpointRecord({
        service: `svc-${host}`,
        id: `scale:c${index}:8080`,
        address: `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`,
        port: 8080,
        hosts: [`h${host}.scale.local`],
      }),
    );
  }
  return records;
}

async function changeLatencies(etcd, edge, backend, size, trials, signal) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const samples = [];
  try {
    for (let trial = 0; trial < trials; trial++) {
      signal.throwIfAborted();
      const host = `new-${size}-${trial}.scale.local`;
      const record = endpointRecord({
        service: `new-${size}-${trial}`,
        id: `scale:new${trial}:80`,
        port: backend.port,
        hosts: [host],
      });
      const since = performance.now();
      await putEndpoint(etcd.client, record);
      samples.push(await waitRoutable(edge, host, since, { agent, path: '/small' }));
      // Spread trials out so each change is applied on its own, not batched with the last.
      await sleep(50);
    }
  } finally {
    agent.destroy();
  }
  return samples;
}

/** Starts fresh edges against the table as it is; the last one is left running. */
async function coldStarts(etcd, count) {
  const readyMs = [];
  let edge;
  for (let trial = 0; trial < count; trial++) {
    await edge?.stop();
    edge = await startEdge({ etcd: etcd.endpoint });
    readyMs.push(edge.readyMs);
  }
  // Settle before reading RSS: the first sync's garbage is collected by then.
  await sleep(2_000);
  return { edge, readyMs, rssMiB: groupUsage(edge.handle.pid).rssBytes / 2 ** 20 };
}

async function edgeSection({ options, signal }) {
  const etcd = await startEtcd();
  const backend = await startBackend();
  try {
    const rows = [];
    let written = 0;
    // Size 0 is the baseline: Node start-up, module loading and connecting to etcd.
    for (const size of [0, 1_000, 10_000, 50_000]) {
      signal.throwIfAborted();
      progress(`scale: writing ${size} endpoints to etcd`);
      await putEndpoints(etcd.client, tableRecords(written, size));
      written = size;
      const cold = await coldStarts(etcd, options.quick ? 2 : size > 10_000 ? 3 : 5);
      progress(
        `scale: ${size} endpoints: cold start to ready p50 ${round(median(cold.readyMs))} ms, RSS ${round(cold.rssMiB)} MiB`,
      );
      try {
        const samples = await changeLatencies(etcd, cold.edge, backend, size, options.trials, signal);
        progress(`scale: ${size} endpoints: change → routable p50 ${round(median(samples))} ms`);
        rows.push({
          endpoints: size,
          hosts: size / ENDPOINTS_PER_HOST,
          coldStartMs: rounded(cold.readyMs),
          rssMiB: round(cold.rssMiB),
          changeMs: rounded(samples),
        });
      } finally {
        await cold.edge.stop();
      }
    }
    return { rows };
  } finally {
    await backend.handle.stop();
    await etcd.close();
  }
}

async function countKeys(client, prefix) {
  return Number(await client.getAll().prefix(prefix).count());
}

async function bridgeSection({ options, signal }) {
  const count = 100;
  const service = `benchscale-${process.pid}`;
  const etcd = await startEtcd();
  const names = Array.from({ length: count }, (_, i) => `${RUN_ID}-scale-${i}`);
  try {
    progress(`scale: starting ${count} wharf/demo containers`);
    await inBatches(names, 8, (name) =>
      runContainer({
        name,
        labels: {
          'wharf.service': service,
          'wharf.http.host': 'bridge.scale.local',
          'wharf.check': 'http:/health',
        },
        env: { INSTANCE: name },
        publish: ['127.0.0.1::8080'],
      }),
    );
    const registerMs = [];
    const trials = options.quick ? 1 : 3;
    for (let trial = 0; trial < trials; trial++) {
      signal.throwIfAborted();
      const started = performance.now();
      const bridge = start('wharf-bridge', process.execPath, [bridgeMain], {
        env: {
          WHARF_ETCD: etcd.endpoint,
          WHARF_PREFIX: PREFIX,
          WHARF_HOST_IP: '127.0.0.1',
          WHARF_NODE: `bench-${process.pid}`,
          LOG_LEVEL: 'warn',
        },
      });
      const deadline = started + 120_000;
      while ((await countKeys(etcd.client, `${PREFIX}/services/${service}/`)) < count) {
        if (!bridge.running) throw new Error(`wharf-bridge exited:\n${bridge.log().slice(-1500)}`);
        if (performance.now() > deadline) throw new Error('bridge did not register 100 containers in 120 s');
        await sleep(20);
      }
      registerMs.push(performance.now() - started);
      progress(`scale: bridge registered ${count} containers in ${Math.round(registerMs.at(-1))} ms`);
      // SIGTERM revokes the lease: every key goes at once, ready for the next trial.
      await bridge.stop('SIGTERM', 10_000);
      while ((await countKeys(etcd.client, `${PREFIX}/services/${service}/`)) > 0) await sleep(50);
    }
    return {
      containers: count,
      check: 'http:/health, interval 2s, rise 1',
      registerMs: summary(registerMs.map((ms) => round(ms, 0))),
    };
  } finally {
    await removeContainers(names);
    await etcd.close();
  }
}

export async function run(context) {
  const result = {};
  if (edgeBuilt()) result.edge = await edgeSection(context);
  else result.edgeSkipped = 'packages/edge/dist/main.js not built';
  if (!bridgeBuilt()) result.bridgeSkipped = 'packages/bridge/dist/main.js not built';
  else if (!(await dockerAvailable()) || !(await imageExists('wharf/demo')))
    result.bridgeSkipped = 'Docker or image wharf/demo unavailable';
  else result.bridge = await bridgeSection(context);
  return result;
}

export function bars(result) {
  if (!result.edge) return [];
  const at10k = result.edge.rows.find((row) => row.endpoints === 10_000);
  return [
    {
      bar: 'cold sync of 10k endpoints ≤ 1 s (process spawn → /readyz)',
      measured: `p50 ${at10k.coldStartMs.p50} ms, max ${at10k.coldStartMs.max} ms (n=${at10k.coldStartMs.n})`,
      met: at10k.coldStartMs.max <= 1_000,
    },
    {
      bar: 'a change routable ≤ 50 ms p99 at 10k endpoints',
      measured: `p99 ${at10k.changeMs.p99} ms (p50 ${at10k.changeMs.p50} ms, n=${at10k.changeMs.n})`,
      met: at10k.changeMs.p99 <= 50,
    },
  ];
}

export function markdown(result) {
  const lines = [];
  if (result.edge) {
    lines.push(
      `Endpoints ${ENDPOINTS_PER_HOST} per host. Cold start = process spawn → /readyz answers 200 (includes Node start-up; the 0 row is that baseline). ` +
        'Change = put of a new endpoint on a new host → first 2xx through the edge (polled back to back over keep-alive). ' +
        'RSS = edge process 2 s after its last cold start.',
      '',
      '| endpoints | hosts | cold start p50 ms | cold start max ms | change p50 ms | change p99 ms | change max ms | changes | edge RSS MiB |',
      '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...result.edge.rows.map(
        (row) =>
          `| ${row.endpoints} | ${row.hosts} | ${row.coldStartMs.p50} | ${row.coldStartMs.max} | ${row.changeMs.p50} | ` +
          `${row.changeMs.p99} | ${row.changeMs.max} | ${row.changeMs.n} | ${row.rssMiB} |`,
      ),
      '',
    );
  } else lines.push(`Edge part skipped: ${result.edgeSkipped}.`, '');
  if (result.bridge) {
    lines.push(
      `Bridge in host mode, ${result.bridge.containers} running wharf/demo containers (${result.bridge.check}): spawn → all ${result.bridge.containers} keys in etcd ` +
        `p50 ${result.bridge.registerMs.p50} ms, max ${result.bridge.registerMs.max} ms over ${result.bridge.registerMs.n} starts.`,
    );
  } else lines.push(`Bridge part skipped: ${result.bridgeSkipped}.`);
  return lines.join('\n');
}
