// Scenario "footprint": idle resident memory of the edge and the bridge, as processes and, when
// the images exist, as containers.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { dockerAvailable, imageExists, RUN_ID, removeContainers, runContainer } from '../lib/docker.mjs';
import { startEtcd } from '../lib/etcd.mjs';
import { groupMemory, run as runCommand, start } from '../lib/processes.mjs';
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
  let largest = { anonymous: 0, file: 0, total: 0 };
  for (let sample = 0; sample < 3; sample++) {
    const memory = groupMemory(pid);
    if (memory.total > largest.total) largest = memory;
    await sleep(1_000);
  }
  return {
    rssMiB: round(largest.total / 2 ** 20),
    anonymousMiB: round(largest.anonymous / 2 ** 20),
    fileMiB: round(largest.file / 2 ** 20),
  };
}

async function waitForKeys(client, prefix, count, handle, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Number(await client.getAll().prefix(prefix).count()) < count) {
    if (handle && !handle.running) throw new Error(`${handle.name} exited:\n${handle.log().slice(-1500)}`);
    if (Date.now() > deadline) throw new Error(`${prefix}: fewer than ${count} keys after ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** Memory of a running container: Docker's cgroup figure and its main process's RSS, in MiB. */
async function containerMemory(name) {
  await sleep(SETTLE_MS);
  const pid = Number((await runCommand('docker', ['inspect', '-f', '{{.State.Pid}}', name])).trim());
  const memory = groupMemory(Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[2]));
  const usage = (
    await runCommand('docker', ['stats', '--no-stream', '--format', '{{.MemUsage}}', name])
  ).trim();
  const match = /^([\d.]+)\s*([KMG]i?B)/.exec(usage);
  if (!match) throw new Error(`docker stats: unexpected ${usage}`);
  const factor = { KiB: 1 / 1024, MiB: 1, GiB: 1024, kB: 1 / 1024, MB: 1, GB: 1024 }[match[2]] ?? 1;
  return {
    dockerStatsMiB: round(Number(match[1]) * factor),
    rssMiB: round(memory.total / 2 ** 20),
    anonymousMiB: round(memory.anonymous / 2 ** 20),
    fileMiB: round(memory.file / 2 ** 20),
  };
}

async function measureProcesses(etcd, withDocker) {
  const figures = {};
  if (edgeBuilt()) {
    await putEndpoint(
      etcd.client,
      endpointRecord({ service: 'idle', id: 'bench:idle:80', port: 9, hosts: ['idle.local'] }),
    );
    const edge = await startEdge({ etcd: etcd.endpoint });
    figures.edgeProcess = await idleRss(edge.handle.pid);
    progress(`footprint: edge process idle RSS ${figures.edgeProcess.rssMiB} MiB`);
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
      const memory = await idleRss(bridge.pid);
      figures[mode === 'host' ? 'bridgeHostProcess' : 'bridgeSidecarProcess'] = memory;
      progress(`footprint: bridge (${mode} mode, 1 container) idle RSS ${memory.rssMiB} MiB`);
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
        env: {
          WHARF_ETCD: etcd.endpoint,
          WHARF_LISTEN: '127.0.0.1:0',
          WHARF_ADMIN_LISTEN: '127.0.0.1:0',
          WHARF_TLS_LISTEN: 'off',
        },
      });
      figures.edgeContainer = await containerMemory(name);
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
      figures.bridgeContainer = await containerMemory(name);
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

const MB_PER_MIB = 1.048576;

export function bars(result) {
  const bars = [];
  const bridges = [result.bridgeHostProcess, result.bridgeSidecarProcess].filter(Boolean);
  if (bridges.length) {
    const worst = bridges.reduce((a, b) => (a.rssMiB >= b.rssMiB ? a : b));
    bars.push({
      bar: 'bridge idle RSS ≤ 45 MB',
      measured: `${round(worst.rssMiB * MB_PER_MIB)} MB RSS (${round(worst.anonymousMiB * MB_PER_MIB)} MB anonymous), process, worst mode`,
      met: worst.rssMiB * MB_PER_MIB <= 45,
    });
  }
  if (result.edgeProcess) {
    const edge = result.edgeProcess;
    bars.push({
      bar: 'edge idle RSS ≤ 60 MB',
      measured: `${round(edge.rssMiB * MB_PER_MIB)} MB RSS (${round(edge.anonymousMiB * MB_PER_MIB)} MB anonymous), process, 1 worker`,
      met: edge.rssMiB * MB_PER_MIB <= 60,
    });
  }
  return bars;
}

export function markdown(result) {
  const process = (what, m) => m && `| ${what} | ${m.rssMiB} | ${m.anonymousMiB} | ${m.fileMiB} | |`;
  const container = (what, m, error) =>
    error
      ? `| ${what} | failed: ${error} | | | |`
      : m && `| ${what} | ${m.rssMiB} | ${m.anonymousMiB} | ${m.fileMiB} | ${m.dockerStatsMiB} |`;
  const rows = [
    process('wharf-edge process (1 worker, 1 route)', result.edgeProcess),
    process('wharf-bridge process, host mode, 1 container', result.bridgeHostProcess),
    process('wharf-bridge process, sidecar mode', result.bridgeSidecarProcess),
    container('wharf/edge container', result.edgeContainer, result.edgeContainerError),
    container('wharf/bridge container', result.bridgeContainer, result.bridgeContainerError),
  ].filter(Boolean);
  return [
    `Idle = ${result.settleSeconds} s after start-up and registration, largest of 3 samples 1 s apart, summed over the process group. ` +
      'Anonymous = heap and stacks; file = mapped files, mostly the node binary, which every Node process on a host shares. ' +
      "docker stats = the container's cgroup usage as Docker reports it. All MiB.",
    '',
    '| what | RSS | anonymous | file | docker stats |',
    '|---|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
}
