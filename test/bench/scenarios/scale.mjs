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
      samples.push(await waitRoutable(edge, host, since, { agent }));
      // Spread trials out so each change is applied on its own, not batched with the last.
      await sleep(50);
    }
  } finally {
    agent.destroy();
  }
  return samples;
}

async function edgeSection({ options, signal }) {
  const trials = options.trials;
  const etcd = await startEtcd();
  const backend = await startBackend();
  try {
    const sizes = [1_000, 10_000, 50_000];
    const growth = [];
    let written = 0;
    let edge;
    let coldStart;
    for (const size of sizes) {
      progress(`scale: writing ${size} endpoints to etcd`);
      await putEndpoints(etcd.client, tableRecords(written, size));
      written = size;
      if (size === 10_000) {
        // Cold start: a fresh edge loading the whole 10k table, several times.
        await edge?.stop();
        edge = undefined;
        const readyMs = [];
        let rssMiB;
        for (let trial = 0; trial < Math.min(5, trials); trial++) {
          const started = await startEdge({ etcd: etcd.endpoint });
          readyMs.push(started.readyMs);
          if (trial === 0) {
            await sleep(2_000);
            rssMiB = groupUsage(started.handle.pid).rssBytes / 2 ** 20;
          }
          await started.stop();
        }
        coldStart = { endpoints: size, hosts: size / ENDPOINTS_PER_HOST, readyMs: summary(readyMs), rssMiB };
        progress(`scale: 10k cold start to ready p50 ${round(median(readyMs))} ms, RSS ${round(rssMiB)} MiB`);
      }
      if (!edge) {
        edge = await startEdge({ etcd: etcd.endpoint });
      } else {
        // The running edge receives the new endpoints through its watch; wait until it has them.
        const marker = `marker-${size}.scale.local`;
        const since = performance.now();
        await putEndpoint(
          etcd.client,
          endpointRecord({
            service: `marker-${size}`,
            id: `scale:marker:80`,
            port: backend.port,
            hosts: [marker],
          }),
        );
        await waitRoutable(edge, marker, since, { timeoutMs: 60_000 });
      }
      progress(`scale: ${size} endpoints: measuring ${trials} single changes`);
      const samples = await changeLatencies(etcd, edge, backend, size, trials, signal);
      const rssMiB = groupUsage(edge.handle.pid).rssBytes / 2 ** 20;
      growth.push({
        endpoints: size,
        hosts: size / ENDPOINTS_PER_HOST,
        changeMs: summary(samples),
        rssMiB: round(rssMiB),
      });
      progress(`scale: ${size} endpoints: change → routable p50 ${round(median(samples))} ms`);
    }
    await edge.stop();
    for (const row of growth) {
      for (const key of ['p50', 'p99', 'max']) row.changeMs[key] = round(row.changeMs[key]);
    }
    for (const key of ['p50', 'p99', 'max']) coldStart.readyMs[key] = round(coldStart.readyMs[key]);
    coldStart.rssMiB = round(coldStart.rssMiB);
    return { coldStart, growth };
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
  const bars = [];
  if (result.edge) {
    const { coldStart, growth } = result.edge;
    bars.push({
      bar: 'cold sync of 10k endpoints ≤ 1 s (spawn → /readyz)',
      measured: `p50 ${coldStart.readyMs.p50} ms, max ${coldStart.readyMs.max} ms`,
      met: coldStart.readyMs.max <= 1_000,
    });
    const at10k = growth.find((row) => row.endpoints === 10_000);
    bars.push({
      bar: 'a change routable ≤ 50 ms p99 at 10k endpoints',
      measured: `p99 ${at10k.changeMs.p99} ms (p50 ${at10k.changeMs.p50} ms, n=${at10k.changeMs.n})`,
      met: at10k.changeMs.p99 <= 50,
    });
  }
  return bars;
}

export function markdown(result) {
  const lines = [];
  if (result.edge) {
    const { coldStart, growth } = result.edge;
    lines.push(
      `Edge cold start with ${coldStart.endpoints} endpoints on ${coldStart.hosts} hosts (process spawn → /readyz answers 200): ` +
        `p50 ${coldStart.readyMs.p50} ms, max ${coldStart.readyMs.max} ms over ${coldStart.readyMs.n} starts; RSS after load ${coldStart.rssMiB} MiB.`,
      '',
      'A single change (new endpoint on a new host, timed from the etcd put to the first 2xx through the edge, polled back to back):',
      '',
      '| endpoints | hosts | p50 ms | p99 ms | max ms | n | edge RSS MiB |',
      '|---:|---:|---:|---:|---:|---:|---:|',
      ...growth.map(
        (row) =>
          `| ${row.endpoints} | ${row.hosts} | ${row.changeMs.p50} | ${row.changeMs.p99} | ${row.changeMs.max} | ${row.changeMs.n} | ${row.rssMiB} |`,
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
