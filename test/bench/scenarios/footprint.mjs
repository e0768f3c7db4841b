// Scenario "footprint": idle resident memory of the edge and the bridge, as processes and, when
// the images exist, as containers.
import { setTimeout as sleep } from 'node:timers/promises';
import { dockerAvailable, imageExists, RUN_ID, removeContainers, runContainer } from '../lib/docker.mjs';
import { startEtcd } from '../lib/etcd.mjs';
import { groupUsage, run as runCommand, start } from '../lib/processes.mjs';
import { progress } from '../lib/progress.mjs';
import { round } from '../lib/stats.mjs';
import {
  bridgeBuilt,
  bridgeMain,
  edgeBuilt,
  endpointRecord,
  PREFIX,
  putEndpoint,
  startEdge,
} from '../lib/wharf.mjs';

const SETTLE_MS = 5_000;

/** Largest of a few RSS samples of a process group after it has settled, in MiB. */
async function idleRss(pid) {
  await sleep(SETTLE_MS);
  let largest = 0;
  for (let sample = 0; sample < 3; sample++) {
    largest = Math.max(largest, groupUsage(pid).rssBytes);
    await sleep(1_000);
  }
  return round(largest / 2 ** 20);
}

async function waitForKeys(client, prefix, count, handle, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Number(await client.getAll().prefix(prefix).count()) < count) {
    if (handle && !handle.running) throw new Error(`${handle.name} exited:\n${handle.log().slice(-1500)}`);
    if (Date.now() > deadline) throw new Error(`${prefix}: fewer than ${count} keys after ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** Memory of a running container as Docker accounts it (cgroup usage), in MiB. */
async function containerMemory(name) {
  await sleep(SETTLE_MS);
  const usage = (
    await runCommand('docker', ['stats', '--no-stream', '--format', '{{.MemUsage}}', name])
  ).trim();
  const match = /^([\d.]+)\s*([KMG]i?B)/.exec(usage);
  if (!match) throw new Error(`docker stats: unexpected ${usage}`);
  const factor = { KiB: 1 / 1024, MiB: 1, GiB: 1024, kB: 1 / 1024, MB: 1, GB: 1024 }[match[2]] ?? 1;
  return round(Number(match[1]) * factor);
}

async function measureProcesses(etcd, withDocker) {
  const figures = {};
  if (edgeBuilt()) {
    await putEndpoint(
      etcd.client,
      endpointRecord({ service: 'idle', id: 'bench:idle:80', port: 9, hosts: ['idle.local'] }),
    );
    const edge = await startEdge({ etcd: etcd.endpoint });
    figures.edgeProcessMiB = await idleRss(edge.handle.pid);
    progress(`footprint: edge process idle RSS ${figures.edgeProcessMiB} MiB`);
    await edge.stop();
  }
  if (bridgeBuilt() && withDocker) {
    const service = `footprint-${process.pid}`;
    const name = `${RUN_ID}-footprint`;
    await runContainer({
      name,
      labels: { 'wharf.service': service, 'wharf.check': 'http:/health' },
      publish: ['127.0.0.1::8080'],
    });
    const env = {
      WHARF_ETCD: etcd.endpoint,
      WHARF_PREFIX: PREFIX,
      WHARF_HOST_IP: '127.0.0.1',
      LOG_LEVEL: 'warn',
    };
    for (const [mode, extra] of [
      ['host', { WHARF_NODE: `bench-${process.pid}` }],
      ['sidecar', { WHARF_NODE: `bench-${process.pid}`, WHARF_TARGET: name }],
    ]) {
      const bridge = start(`wharf-bridge-${mode}`, process.execPath, [bridgeMain], {
        env: { ...env, ...extra },
      });
      await waitForKeys(etcd.client, `${PREFIX}/services/${service}/`, 1, bridge);
      figures[`bridge${mode === 'host' ? 'Host' : 'Sidecar'}ProcessMiB`] = await idleRss(bridge.pid);
      progress(
        `footprint: bridge (${mode} mode, 1 container) idle RSS ${figures[`bridge${mode === 'host' ? 'Host' : 'Sidecar'}ProcessMiB`]} MiB`,
      );
      await bridge.stop('SIGTERM', 10_000);
    }
    await removeContainers([name]);
  }
  return figures;
}

async function measureContainers(etcd) {
  const figures = {};
  if (await imageExists('wharf/edge')) {
    const name = `${RUN_ID}-edge`;
    try {
      await runContainer({
        name,
        image: 'wharf/edge',
        args: ['--network', 'host'],
        env: { WHARF_ETCD: etcd.endpoint, WHARF_LISTEN: '127.0.0.1:0', WHARF_ADMIN_LISTEN: '127.0.0.1:0' },
      });
      figures.edgeContainerMiB = await containerMemory(name);
    } catch (error) {
      figures.edgeContainerError = error.message.split('\n')[0];
    } finally {
      await removeContainers([name]);
    }
  }
  if (await imageExists('wharf/bridge')) {
    const name = `${RUN_ID}-bridge`;
    try {
      await runContainer({
        name,
        image: 'wharf/bridge',
        args: ['--network', 'host', '-v', '/var/run/docker.sock:/var/run/docker.sock'],
        env: { WHARF_ETCD: etcd.endpoint, WHARF_HOST_IP: '127.0.0.1', WHARF_NODE: `bench-${process.pid}` },
      });
      figures.bridgeContainerMiB = await containerMemory(name);
    } catch (error) {
      figures.bridgeContainerError = error.message.split('\n')[0];
    } finally {
      await removeContainers([name]);
    }
  }
  return figures;
}

export async function run() {
  const etcd = await startEtcd();
  try {
    const withDocker = await dockerAvailable();
    const figures = await measureProcesses(etcd, withDocker);
    if (withDocker) Object.assign(figures, await measureContainers(etcd));
    return { settleSeconds: SETTLE_MS / 1000, ...figures };
  } finally {
    await etcd.close();
  }
}

export function bars(result) {
  const bars = [];
  const bridge = Math.max(result.bridgeHostProcessMiB ?? 0, result.bridgeSidecarProcessMiB ?? 0);
  if (bridge)
    bars.push({
      bar: 'bridge idle RSS ≤ 45 MB',
      measured: `${bridge} MiB (process, worst mode)`,
      met: bridge * 1.048576 <= 45,
    });
  if (result.edgeProcessMiB) {
    bars.push({
      bar: 'edge idle RSS ≤ 60 MB',
      measured: `${result.edgeProcessMiB} MiB (process, 1 worker)`,
      met: result.edgeProcessMiB * 1.048576 <= 60,
    });
  }
  return bars;
}

export function markdown(result) {
  const rows = [
    ['wharf-edge process (1 worker, 1 route)', result.edgeProcessMiB],
    ['wharf-bridge process, host mode, 1 container', result.bridgeHostProcessMiB],
    ['wharf-bridge process, sidecar mode', result.bridgeSidecarProcessMiB],
    ['wharf/edge container (docker stats)', result.edgeContainerMiB ?? result.edgeContainerError],
    ['wharf/bridge container (docker stats)', result.bridgeContainerMiB ?? result.bridgeContainerError],
  ].filter(([, value]) => value !== undefined);
  return [
    `Idle = ${result.settleSeconds} s after start-up and registration, largest of 3 samples 1 s apart. Process figures are RSS summed over the process group.`,
    '',
    '| what | idle memory MiB |',
    '|---|---:|',
    ...rows.map(([what, value]) => `| ${what} | ${value} |`),
  ].join('\n');
}
