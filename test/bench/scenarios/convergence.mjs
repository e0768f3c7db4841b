// Scenario "convergence": real containers, a host-mode bridge and the edge. How fast a new
// container gets traffic, how fast a stopped one stops getting it, and whether a rolling
// restart under load fails any request.
import { setTimeout as sleep } from 'node:timers/promises';
import {
  dockerAvailable,
  followEvents,
  imageExists,
  RUN_ID,
  removeContainers,
  runContainer,
} from '../lib/docker.mjs';
import { startEtcd } from '../lib/etcd.mjs';
import { run as runCommand, start } from '../lib/processes.mjs';
import { progress } from '../lib/progress.mjs';
import { failed, nowMs, startRequestLoop } from '../lib/request-loop.mjs';
import { round, summary } from '../lib/stats.mjs';
import { bridgeBuilt, bridgeMain, edgeBuilt, PREFIX, startEdge } from '../lib/wharf.mjs';

const CHECK = 'http:/health';
// The demo image's HEALTHCHECK also emits exec_* and health_status events; they say nothing
// about which phase of a restart a request fell in.
const LIFECYCLE = new Set(['create', 'start', 'restart', 'kill', 'die', 'stop']);
const TRIAL_SHUTDOWN_DELAY_MS = 1_000;
const RESTART_SHUTDOWN_DELAYS_MS = [0, 500];
const REFERENCES = [
  'Traefik Docker provider: configuration changes are throttled by providersThrottleDuration, default 2 s (documented).',
  'docker-gen (nginx-proxy): regenerates on Docker events with an optional -wait debounce (e.g. 500ms:2s), then reloads nginx.',
];

function rounded(values) {
  const s = summary(values);
  return { n: s.n, p50: round(s.p50), p99: round(s.p99), max: round(s.max) };
}

/**
 * Watches this run's endpoint records and remembers, per container name, when each was first
 * seen draining: the registry side of "stop sending it requests", independent of anything the
 * edge may infer from the dying process's own behaviour.
 */
async function watchDraining(client, service) {
  const drainingAt = new Map();
  const watcher = await client.watch().prefix(`${PREFIX}/services/${service}/`).create();
  watcher.on('put', (kv) => {
    const record = JSON.parse(kv.value.toString());
    const name = record.container?.name;
    if (record.state === 'draining' && name && !drainingAt.has(name)) drainingAt.set(name, nowMs());
  });
  return { drainingAt, close: () => watcher.cancel() };
}

/** One start/stop trial: start → first routed, kill → draining in etcd, kill → last request (ms). */
async function trial({ index, service, host, loop, events, draining }) {
  const name = `${RUN_ID}-conv-${index}`;
  await runContainer({
    name,
    labels: { 'wharf.service': service, 'wharf.http.host': host, 'wharf.check': CHECK },
    env: { INSTANCE: name, SHUTDOWN_DELAY_MS: String(TRIAL_SHUTDOWN_DELAY_MS) },
    publish: ['127.0.0.1::8080'],
  });
  const started = await events.waitFor((event) => event.name === name && event.action === 'start');
  const first = await loop.waitFor((sample) => sample.instance === name, 30_000);
  const startToRoutedMs = first.sentAt - started.timeMs;
  await sleep(300);
  // `docker stop` sends SIGTERM (Docker's `kill` event); the app keeps answering for
  // TRIAL_SHUTDOWN_DELAY_MS, so any request the edge still sends it is seen and counted.
  const stopping = runCommand('docker', ['stop', '-t', '10', name]);
  const killed = await events.waitFor((event) => event.name === name && event.action === 'kill');
  await stopping;
  const drainingAt = draining.drainingAt.get(name);
  const served = loop.samples.filter((sample) => sample.instance === name);
  const lastSent = Math.max(...served.map((sample) => sample.sentAt));
  await removeContainers([name]);
  return {
    startToRoutedMs,
    killToDrainingMs: drainingAt === undefined ? null : drainingAt - killed.timeMs,
    killToLastRequestMs: lastSent - killed.timeMs,
  };
}

/** Restarts every replica in turn under load; each must serve again before the next goes. */
async function rollingRestart({ replicas, loop, events }) {
  const from = loop.samples.length;
  for (const name of replicas) {
    const since = nowMs();
    await runCommand('docker', ['restart', '-t', '10', name]);
    const restarted = await events.waitFor(
      (event) => event.name === name && event.action === 'start' && event.timeMs >= since,
    );
    await loop.waitFor((sample) => sample.instance === name && sample.sentAt > restarted.timeMs, 30_000);
  }
  const samples = loop.samples.slice(from);
  const failures = samples.filter(failed);
  return {
    requests: samples.length,
    failed: failures.length,
    failures: failures.map((f) => explain(f, events)),
  };
}

/** Places a failed request after the latest Docker event for the replicas, to show the phase. */
function explain(sample, events) {
  const before = events.events
    .filter((event) => LIFECYCLE.has(event.action) && event.timeMs <= sample.sentAt)
    .at(-1);
  const kind = sample.error ?? `HTTP ${sample.status}`;
  if (!before) return kind;
  const replica = before.name.slice(RUN_ID.length + 1);
  return `${kind} sent ${round(sample.sentAt - before.timeMs)} ms after ${replica} ${before.action}`;
}

export async function run({ options, signal }) {
  if (!edgeBuilt() || !bridgeBuilt()) return { skipped: 'packages/edge or packages/bridge not built' };
  if (!(await dockerAvailable()) || !(await imageExists('wharf/demo'))) {
    return { skipped: 'Docker or image wharf/demo unavailable' };
  }
  const service = `conv-${process.pid}`;
  const host = `conv-${process.pid}.bench.local`;
  const etcd = await startEtcd();
  const events = followEvents();
  const started = [];
  const startReplicas = async (label, shutdownDelayMs) => {
    const names = [0, 1, 2].map((i) => `${RUN_ID}-${label}-${i}`);
    for (const name of names) {
      started.push(name);
      await runContainer({
        name,
        labels: { 'wharf.service': service, 'wharf.http.host': host, 'wharf.check': CHECK },
        env: { INSTANCE: name, SHUTDOWN_DELAY_MS: String(shutdownDelayMs) },
        publish: ['127.0.0.1::8080'],
      });
    }
    return names;
  };
  let loop;
  let draining;
  try {
    draining = await watchDraining(etcd.client, service);
    const edge = await startEdge({ etcd: etcd.endpoint });
    start('wharf-bridge', process.execPath, [bridgeMain], {
      env: {
        WHARF_ETCD: etcd.endpoint,
        WHARF_PREFIX: PREFIX,
        WHARF_HOST_IP: '127.0.0.1',
        WHARF_NODE: `bench-${process.pid}`,
        LOG_LEVEL: 'warn',
      },
    });
    progress('convergence: starting 3 replicas');
    let replicas = await startReplicas('replica', 0);
    loop = startRequestLoop({ url: `${edge.url}/`, host, concurrency: 4, pauseMs: 1 });
    await Promise.all(replicas.map((name) => loop.waitFor((sample) => sample.instance === name, 60_000)));

    const trials = [];
    for (let index = 0; index < options.trials; index++) {
      signal.throwIfAborted();
      const result = await trial({ index, service, host, loop, events, draining });
      trials.push(result);
      progress(
        `convergence: trial ${index + 1}/${options.trials}: start → routed ${Math.round(result.startToRoutedMs)} ms, ` +
          `kill → draining in etcd ${round(result.killToDrainingMs)} ms, kill → last request ${round(result.killToLastRequestMs)} ms`,
      );
    }
    const trialSamples = loop.samples.length;
    const trialFailures = loop.samples.filter(failed).length;

    // Rolling restarts twice: with apps that stop accepting the moment they get SIGTERM, and
    // with apps that keep accepting for a short grace (a usual preStop delay) while the
    // registry drains them.
    const restarts = {};
    for (const shutdownDelayMs of RESTART_SHUTDOWN_DELAYS_MS) {
      if (shutdownDelayMs > 0) {
        const previous = replicas;
        replicas = await startReplicas(`graceful${shutdownDelayMs}`, shutdownDelayMs);
        await Promise.all(replicas.map((name) => loop.waitFor((sample) => sample.instance === name, 60_000)));
        await runCommand('docker', ['stop', '-t', '10', ...previous]);
        await removeContainers(previous);
        await sleep(3_000);
      }
      const series = [];
      for (let index = 0; index < (options.quick ? 1 : 3); index++) {
        signal.throwIfAborted();
        const result = await rollingRestart({ replicas, loop, events });
        series.push(result);
        progress(
          `convergence: rolling restart (SHUTDOWN_DELAY_MS=${shutdownDelayMs}) ${index + 1}: ` +
            `${result.failed} of ${result.requests} requests failed`,
        );
      }
      restarts[shutdownDelayMs] = series;
    }
    await loop.stop();
    const failures = loop.samples.filter(failed);
    const allRestarts = Object.values(restarts).flat();
    const failureExamples = allRestarts.flatMap((r) => r.failures).slice(0, 20);
    for (const r of allRestarts) delete r.failures;
    return {
      setup: {
        replicas: replicas.length,
        check: `${CHECK}, interval 2s, rise 1 (defaults)`,
        load: '4 keep-alive clients, 1 ms pause between requests',
        trialShutdownDelayMs: TRIAL_SHUTDOWN_DELAY_MS,
        restartShutdownDelaysMs: RESTART_SHUTDOWN_DELAYS_MS,
      },
      startToRoutedMs: rounded(trials.map((t) => t.startToRoutedMs)),
      killToDrainingMs: rounded(trials.map((t) => t.killToDrainingMs).filter((ms) => ms !== null)),
      killToLastRequestMs: rounded(trials.map((t) => t.killToLastRequestMs)),
      trialRequests: { requests: trialSamples, failed: trialFailures },
      rollingRestarts: restarts,
      failureKinds: [...new Set(failures.map((sample) => sample.error ?? `HTTP ${sample.status}`))],
      failureExamples,
      references: REFERENCES,
    };
  } finally {
    await loop?.stop();
    await draining?.close();
    events.close();
    await removeContainers(started);
    await etcd.close();
  }
}

export function bars(result) {
  if (result.skipped) return [];
  return [
    {
      bar: 'kill event → no new requests ≤ 100 ms',
      measured: `p50 ${result.killToLastRequestMs.p50} ms, p99 ${result.killToLastRequestMs.p99} ms, max ${result.killToLastRequestMs.max} ms (n=${result.killToLastRequestMs.n})`,
      met: result.killToLastRequestMs.max <= 100,
    },
    ...Object.entries(result.rollingRestarts).map(([delayMs, series]) => {
      const failedRequests = series.reduce((sum, r) => sum + r.failed, 0);
      const requests = series.reduce((sum, r) => sum + r.requests, 0);
      const app =
        Number(delayMs) === 0
          ? 'app stops accepting at SIGTERM'
          : `app keeps accepting ${delayMs} ms after SIGTERM`;
      return {
        bar: `rolling restart under load: 0 failed requests (${app})`,
        measured: `${failedRequests} failed of ${requests} (${series.length} rolling restarts of ${result.setup.replicas} replicas)`,
        met: failedRequests === 0,
      };
    }),
  ];
}

export function markdown(result) {
  if (result.skipped) return `Skipped: ${result.skipped}.`;
  const row = (what, s) => `| ${what} | ${s.p50} | ${s.p99} | ${s.max} | ${s.n} |`;
  return [
    `Setup: ${result.setup.replicas} wharf/demo replicas behind wharf-edge, one host-mode wharf-bridge, check ${result.setup.check}; ` +
      `load ${result.setup.load}. Trial containers keep answering ${result.setup.trialShutdownDelayMs} ms after SIGTERM so late requests are visible; ` +
      `rolling restarts run with SHUTDOWN_DELAY_MS=${result.setup.restartShutdownDelaysMs.join(' and ')}.`,
    '',
    '| measure | p50 ms | p99 ms | max ms | n |',
    '|---|---:|---:|---:|---:|',
    row('container `start` event → first request answered by it', result.startToRoutedMs),
    row('Docker `kill` event → its endpoint seen `draining` by an etcd watcher', result.killToDrainingMs),
    row('Docker `kill` event → last new request it answered', result.killToLastRequestMs),
    '',
    `Rolling restarts (\`docker restart\` each replica in turn, next one after the previous serves again): ` +
      Object.entries(result.rollingRestarts)
        .map(
          ([delayMs, series]) =>
            `SHUTDOWN_DELAY_MS=${delayMs}: ${series.map((r) => `${r.failed} failed of ${r.requests}`).join(', ')}`,
        )
        .join('; ') +
      `. Requests failed during the start/stop trials: ${result.trialRequests.failed} of ${result.trialRequests.requests}.` +
      (result.failureKinds.length ? ` Failure kinds: ${result.failureKinds.join(', ')}.` : ''),
    '',
    ...(result.failureExamples?.length
      ? [
          'Failed requests, placed after the latest Docker event:',
          '',
          ...result.failureExamples.map((text) => `- ${text}`),
          '',
        ]
      : []),
    'A negative kill → last request means the last request the container answered was sent before Docker logged the `kill` event.',
    '',
    'References (documented, not measured here):',
    '',
    ...result.references.map((text) => `- ${text}`),
  ].join('\n');
}
