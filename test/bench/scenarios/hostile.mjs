// Scenario "hostile": the published hostile-HTTP corpus and the seeded request fuzz of
// test/security, replayed through nginx, HAProxy and wharf-edge (every data plane), each in
// front of its own recording backend, with a canary nothing may reach. Tallies per family how
// each proxy dealt with the cases: refused, normalised, passed unchanged, desynchronised the
// backend, crashed or hung. The verdicts are those of test/support/hostile-replay.ts.
import { register } from 'tsx/esm/api';
import { startEtcd } from '../lib/etcd.mjs';
import { progress } from '../lib/progress.mjs';
import { edgeBuilt, endpointRecord, startEdge } from '../lib/wharf.mjs';
import { startHaproxyEdge } from '../peers/haproxy.mjs';
import { startNginxEdge } from '../peers/nginx.mjs';

const HOST = 'hostile.test';
const DEFAULT_SEED = 20_261_130;

// The corpus and the replay are the test suite's own TypeScript, loaded through tsx (one
// namespace, so they share module instances).
async function loadSupport() {
  const tsx = register({ namespace: 'wharf-bench-hostile' });
  const load = (path) => tsx.import(path, import.meta.url);
  const [corpus, replay, backend, raw, mutator, planes] = await Promise.all([
    load('../../security/corpus/hostile-corpus.ts'),
    load('../../support/hostile-replay.ts'),
    load('../../support/recording-backend.ts'),
    load('../../support/raw-http.ts'),
    load('../../support/request-mutator.ts'),
    load('../../support/data-planes.ts'),
  ]);
  return {
    families: corpus.HOSTILE_CORPUS,
    replayCases: replay.replayCases,
    RecordingBackend: backend.RecordingBackend,
    Canary: raw.Canary,
    mutatedRequests: mutator.mutatedRequests,
    planes: planes.DATA_PLANES,
    dataPlaneEnv: planes.dataPlaneEnv,
  };
}

/** Where a case ended up, one column of the table each. */
function tally(result, alive) {
  const counts = {
    cases: result.cases.length,
    refused: 0,
    normalised: 0,
    unchanged: 0,
    invalid: 0,
    desync: 0,
    host: 0,
    hang: 0,
  };
  const examples = [];
  for (const entry of result.cases) {
    const kinds = new Set(entry.violations.map((violation) => violation.kind));
    if (['desync', 'framing', 'tunnel', 'canary'].some((kind) => kinds.has(kind))) counts.desync += 1;
    else if (kinds.has('host')) counts.host += 1;
    else if (kinds.has('hang')) counts.hang += 1;
    else if (kinds.has('invalid')) counts.invalid += 1;
    else counts[entry.outcome] += 1;
    for (const violation of entry.violations)
      if (examples.length < 8)
        examples.push(`${entry.case.name}: ${violation.kind}: ${violation.detail.slice(0, 200)}`);
  }
  counts.desync += result.unattributed.length;
  counts.expectationMisses = result.cases.filter((entry) =>
    entry.violations.some((violation) => violation.kind === 'expectation'),
  ).length;
  counts.crashed = !alive;
  counts.servesAfterwards = result.servesAfterwards;
  return { ...counts, examples };
}

async function startTargets(support, etcd) {
  const targets = [];
  if (edgeBuilt()) {
    for (const plane of support.planes) {
      // Each plane's edge reads a prefix of its own, so it routes the host to its own backend.
      const prefix = `/wharf-hostile-${plane}`;
      const backend = await support.RecordingBackend.start();
      const record = endpointRecord({
        service: 'hostile',
        id: 'bench:hostile:80',
        port: backend.port,
        hosts: [HOST],
      });
      await etcd.client.put(`${prefix}/services/hostile/bench:hostile:80`).value(JSON.stringify(record));
      const edge = await startEdge({
        etcd: etcd.endpoint,
        env: {
          ...support.dataPlaneEnv(plane),
          WHARF_PREFIX: prefix,
          WHARF_UPSTREAM_TIMEOUT: '2s',
          WHARF_HEADERS_TIMEOUT: '2s',
        },
      });
      targets.push({ name: `wharf (${plane})`, port: edge.port, handle: edge.handle, backend });
    }
  } else {
    progress('hostile: packages/edge/dist/main.js missing (run npx tsc -b); wharf-edge skipped');
  }
  const nginxBackend = await support.RecordingBackend.start();
  targets.push({
    name: 'nginx',
    backend: nginxBackend,
    ...(await startNginxEdge({ backendPort: nginxBackend.port, host: HOST })),
  });
  const haproxyBackend = await support.RecordingBackend.start();
  targets.push({
    name: 'haproxy',
    backend: haproxyBackend,
    ...(await startHaproxyEdge({ backendPort: haproxyBackend.port, host: HOST })),
  });
  return targets;
}

export async function run({ options, signal }) {
  const support = await loadSupport();
  const seed = Number(process.env.WHARF_HTTP_FUZZ_SEED ?? DEFAULT_SEED);
  const fuzzCount = options.quick ? 200 : 1_000;
  const families = [
    ...support.families,
    {
      name: `request fuzz (seed ${seed})`,
      source: 'test/support/request-mutator.ts',
      cases: [...support.mutatedRequests({ seed, count: fuzzCount })],
    },
  ];
  const etcd = await startEtcd();
  const canary = await support.Canary.start();
  const results = {};
  let targets = [];
  try {
    targets = await startTargets(support, etcd);
    for (const target of targets) {
      await waitServing(support, target, canary);
      progress(`hostile: ${target.name} answers`);
      const rows = {};
      for (const family of families) {
        signal.throwIfAborted();
        const started = performance.now();
        const result = await support.replayCases(
          { port: target.port, host: HOST, backend: target.backend, canary },
          family.cases,
        );
        rows[family.name] = tally(result, target.handle.running);
        const row = rows[family.name];
        progress(
          `hostile: ${target.name.padEnd(15)} ${family.name.padEnd(28)} refused ${row.refused} normalised ${row.normalised} ` +
            `unchanged ${row.unchanged} invalid ${row.invalid} desync ${row.desync} host ${row.host} hang ${row.hang}` +
            `${row.crashed ? ' CRASHED' : ''} (${Math.round(performance.now() - started)} ms)`,
        );
      }
      results[target.name] = rows;
    }
  } finally {
    await Promise.all(targets.map((target) => target.handle.stop()));
    await Promise.all(targets.map((target) => target.backend.close()));
    await canary.close();
    await etcd.close();
  }
  return {
    settings: {
      host: HOST,
      fuzz: { seed, count: fuzzCount },
      sources: Object.fromEntries(families.map((family) => [family.name, family.source])),
    },
    results,
  };
}

/** Polls a clean request through the target until the backend answers it (bounded). */
async function waitServing(support, target, canary) {
  const deadline = performance.now() + 20_000;
  for (;;) {
    const result = await support.replayCases(
      { port: target.port, host: HOST, backend: target.backend, canary },
      [],
    );
    if (result.servesAfterwards) return;
    if (performance.now() > deadline || !target.handle.running)
      throw new Error(`${target.name} does not serve: ${target.handle.log().slice(-1500)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export function bars(result) {
  return Object.entries(result.results)
    .filter(([name]) => name.startsWith('wharf'))
    .map(([name, rows]) => {
      const all = Object.values(rows);
      const bad = all.reduce((sum, row) => sum + row.desync + row.host + row.hang, 0);
      const crashed = all.some((row) => row.crashed || !row.servesAfterwards);
      return {
        bar: `${name}: no desync, Host change, hang or crash over the hostile corpus and fuzz`,
        measured: `${bad} cases${crashed ? ', crashed or stopped serving' : ''}`,
        met: bad === 0 && !crashed,
      };
    });
}

export function markdown(result) {
  const lines = [
    `Each case as raw bytes through the proxy to a recording backend (host \`${result.settings.host}\`; ` +
      `fuzz seed ${result.settings.fuzz.seed}, ${result.settings.fuzz.count} requests). "refused": 4xx/5xx or a close, ` +
      'the backend saw nothing; "normalised": forwarded with the hostile part removed or rewritten; "unchanged": forwarded ' +
      'as sent; "invalid": forwarded as sent, and the backend\'s parser refused it; "desync": the backend parsed a request the client did not send as one, refused bytes, was left holding a ' +
      'partial request, got a body other than the client framed, or opened a tunnel for a non-WebSocket upgrade; ' +
      '"Host": Host removed or replaced, or a request for an unrouted host reached the backend; "hang": neither a status ' +
      'nor a close. "expectation misses": cases whose only right outcome (an RFC MUST, or a decision of wharf) was not the one seen.',
    '',
    '| proxy | family | cases | refused | normalised | unchanged | invalid | desync | Host | hang | crashed | expectation misses |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|',
  ];
  for (const [name, rows] of Object.entries(result.results)) {
    for (const [family, row] of Object.entries(rows)) {
      lines.push(
        `| ${name} | ${family} | ${row.cases} | ${row.refused} | ${row.normalised} | ${row.unchanged} | ${row.invalid} | ${row.desync} | ` +
          `${row.host} | ${row.hang} | ${row.crashed || !row.servesAfterwards ? 'yes' : 'no'} | ${row.expectationMisses} |`,
      );
    }
  }
  const examples = Object.entries(result.results).flatMap(([name, rows]) =>
    Object.entries(rows).flatMap(([family, row]) =>
      row.examples.map((example) => `- ${name}, ${family}: ${example}`),
    ),
  );
  if (examples.length)
    lines.push('', 'Examples of findings (up to 8 per proxy and family):', '', ...examples);
  return lines.join('\n');
}
