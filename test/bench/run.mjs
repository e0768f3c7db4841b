#!/usr/bin/env -S npx tsx
// wharf benchmarks: `npm run bench -- [scenario...] [--quick] [--duration s] [--rounds n] ...`
// Run through tsx: the scenarios use the tests' own TypeScript support (etcd, records, ports).
// Each scenario starts what it needs on loopback, stops by itself and cleans up everything it
// started, also on error, Ctrl-C or SIGTERM.
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { describeMachine } from './lib/machine.mjs';
import { cleanupAll, killAllNow } from './lib/processes.mjs';
import { progress } from './lib/progress.mjs';
import { loadResults, writeResults } from './lib/report.mjs';
import * as convergence from './scenarios/convergence.mjs';
import * as dns from './scenarios/dns.mjs';
import * as footprint from './scenarios/footprint.mjs';
import * as hostile from './scenarios/hostile.mjs';
import * as https from './scenarios/https.mjs';
import * as proxy from './scenarios/proxy.mjs';
import * as scale from './scenarios/scale.mjs';

const scenarios = [
  { name: 'proxy', ...proxy },
  { name: 'convergence', ...convergence },
  { name: 'scale', ...scale },
  { name: 'footprint', ...footprint },
  { name: 'hostile', ...hostile },
  { name: 'https', ...https },
  { name: 'dns', ...dns },
];

const usage = `usage: npm run bench -- [${scenarios.map((s) => s.name).join('|')} ...] [options]
  --quick            short run (fewer rounds and trials), for checking the harness
  --duration <s>     wrk (dnsperf) seconds per proxy (dns) run (default 6, quick 2)
  --rounds <n>       interleaved proxy rounds (default 3, quick 1)
  --connections <n>  wrk connections (default 64)
  --workers <list>   proxy worker counts, e.g. 1,2 (default 1,2)
  --trials <n>       convergence/scale trials (default 20, quick 5)
  --profile          proxy: run wharf-edge with --cpu-prof into test/bench/results/tmp/
  --baseline <dir>   proxy: also run the edge built in another checkout <dir> (its
                     packages/edge/dist/main.js) as "wharf-edge-baseline", interleaved
  --targets <list>   proxy: only these targets, e.g. wharf-edge,wharf-edge-haproxy,nginx
                     (wharf-edge-haproxy: the edge on its HAProxy data plane)
  --bridge-image <t> footprint: the bridge image to measure (default wharf/bridge)
  --compare-image <t> footprint: another bridge image, measured alike (before/after)
  --render           only rewrite latest.md from latest.json`;

function parseOptions(argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      quick: { type: 'boolean', default: false },
      duration: { type: 'string' },
      rounds: { type: 'string' },
      connections: { type: 'string' },
      workers: { type: 'string' },
      trials: { type: 'string' },
      profile: { type: 'boolean', default: false },
      baseline: { type: 'string' },
      targets: { type: 'string' },
      'bridge-image': { type: 'string', default: 'wharf/bridge' },
      'compare-image': { type: 'string' },
      render: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const integer = (name, fallback) => {
    if (values[name] === undefined) return fallback;
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
    return value;
  };
  const unknown = positionals.filter((name) => !scenarios.some((s) => s.name === name));
  if (unknown.length) throw new Error(`unknown scenario ${unknown.join(', ')}\n${usage}`);
  return {
    help: values.help,
    selected: positionals.length ? scenarios.filter((s) => positionals.includes(s.name)) : scenarios,
    quick: values.quick,
    duration: integer('duration', values.quick ? 2 : 6),
    rounds: integer('rounds', values.quick ? 1 : 3),
    connections: integer('connections', 64),
    trials: integer('trials', values.quick ? 5 : 20),
    workers: values.workers?.split(',').map(Number),
    profile: values.profile,
    baseline: values.baseline,
    targets: values.targets?.split(','),
    bridgeImage: values['bridge-image'],
    compareImage: values['compare-image'],
    render: values.render,
  };
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  if (options.help) {
    console.log(usage);
    return;
  }
  if (options.render) {
    const { markdownPath } = writeResults(loadResults(), scenarios);
    console.log(`wrote ${markdownPath}`);
    return;
  }
  const controller = new AbortController();
  const onSignal = (signal) => {
    progress(`${signal}: stopping and cleaning up`);
    controller.abort(new Error(`interrupted by ${signal}`));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', killAllNow);

  const results = loadResults();
  results.machine = await describeMachine();
  let failed = false;
  try {
    for (const scenario of options.selected) {
      if (controller.signal.aborted) break;
      progress(`${scenario.name}: start`);
      const started = Date.now();
      // Other work on the machine skews every figure; the load average makes that visible.
      const section = {
        ranAt: new Date().toISOString(),
        quick: options.quick,
        loadAverageAtStart: loadavg()[0],
      };
      try {
        section.result = await scenario.run({ options, signal: controller.signal });
      } catch (error) {
        failed = true;
        section.error = error.message.split('\n')[0];
        console.error(`bench: ${scenario.name} failed:`, error);
      } finally {
        await cleanupAll();
      }
      section.durationSeconds = Math.round((Date.now() - started) / 1000);
      section.loadAverageAtEnd = loadavg()[0];
      // An interrupted scenario keeps its previous figures rather than recording a partial run.
      if (!controller.signal.aborted) results.scenarios[scenario.name] = section;
      const { markdownPath } = writeResults(results, scenarios);
      progress(`${scenario.name}: done in ${section.durationSeconds} s → ${markdownPath}`);
    }
  } finally {
    await cleanupAll();
  }
  if (failed || controller.signal.aborted) process.exitCode = 1;
}

main().catch(async (error) => {
  console.error(`bench: ${error.message}`);
  await cleanupAll();
  process.exitCode = 1;
});
