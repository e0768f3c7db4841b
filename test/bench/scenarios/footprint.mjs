// Scenario "footprint": idle resident memory of the edge and the bridge, as processes and, when
// the images exist, as containers — each next to a bare `node` doing nothing in the same place
// (process or image), since what a sidecar costs is what it adds to the Node runtime.
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

const IDLE_NODE = ['-e', 'setInterval(() => {}, 1 << 30)'];

async function measureProcesses(etcd, withDocker) {
  const figures = {};
  const bare = start('node-bare', process.execPath, IDLE_NODE);
  figures.bareNodeProcess = await idleRss(bare.pid);
  await bare.stop('SIGKILL');
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

async function measureContainers(etcd, bridgeImage) {
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
  if (await imageExists(bridgeImage)) {
    figures.bridgeImage = bridgeImage;
    const bare = `${RUN_ID}-bare-node`;
    try {
      // The image's own runtime and flags, running nothing: what every sidecar pays regardless.
      await runContainer({
        name: bare,
        image: bridgeImage,
        args: ['--entrypoint', 'node'],
        command: ['--max-semi-space-size=1', ...IDLE_NODE],
      });
      figures.bareNodeContainer = await containerMemory(bare);
    } catch (error) {
      figures.bareNodeContainerError = error.message.split('\n')[0];
    } finally {
      await removeContainers([bare]);
    }
    const common = {
      WHARF_ETCD: etcd.endpoint,
      WHARF_HOST_IP: '127.0.0.1',
      WHARF_NODE: `bench-${process.pid}`,
    };
    const docker = ['--network', 'host', '-v', '/var/run/docker.sock:/var/run/docker.sock'];
    const name = `${RUN_ID}-bridge`;
    try {
      await runContainer({ name, image: bridgeImage, args: docker, env: common });
      figures.bridgeContainer = await containerMemory(name);
    } catch (error) {
      figures.bridgeContainerError = error.message.split('\n')[0];
    } finally {
      await removeContainers([name]);
    }
    const target = `${RUN_ID}-sidecar-target`;
    const sidecar = `${RUN_ID}-sidecar`;
    const service = `footprint-sidecar-${process.pid}`;
    try {
      await runContainer({ name: target, publish: ['127.0.0.1::8080'] });
      await runContainer({
        name: sidecar,
        image: bridgeImage,
        args: docker,
        env: { ...common, WHARF_TARGET: target, WHARF_SERVICE: service, WHARF_CHECK: 'http:/health' },
      });
      await waitForKeys(etcd.client, `${PREFIX}/services/${service}/`, 1);
      figures.bridgeSidecarContainer = await containerMemory(sidecar);
    } catch (error) {
      figures.bridgeSidecarContainerError = error.message.split('\n')[0];
    } finally {
      await removeContainers([sidecar, target]);
    }
  }
  return figures;
}

export async function run({ options }) {
  const etcd = await startEtcd();
  try {
    const withDocker = await dockerAvailable();
    const figures = await measureProcesses(etcd, withDocker);
    if (withDocker) Object.assign(figures, await measureContainers(etcd, options.bridgeImage));
    // Another build of the bridge image (an earlier commit's), measured the same way for a before/after.
    if (withDocker && options.compareImage) {
      const { edgeContainer, edgeContainerError, ...compare } = await measureContainers(
        etcd,
        options.compareImage,
      );
      figures.compare = compare;
    }
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
  const above = sidecarAboveBareNode(result);
  if (above) {
    bars.push({
      bar: 'sidecar bridge ≤ 20 MB anonymous above a bare node',
      measured: `${round(above.anonymousMiB * MB_PER_MIB)} MB anonymous above bare node, ${above.where}`,
      met: above.anonymousMiB * MB_PER_MIB <= 20,
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

/** What a sidecar bridge adds to an idle Node: in its image when measured there, else as processes. */
function sidecarAboveBareNode(result) {
  const [bridge, bare, where] = result.bridgeSidecarContainer
    ? [result.bridgeSidecarContainer, result.bareNodeContainer, `${result.bridgeImage} image`]
    : [result.bridgeSidecarProcess, result.bareNodeProcess, 'processes'];
  if (!bridge || !bare) return undefined;
  return {
    anonymousMiB: round(bridge.anonymousMiB - bare.anonymousMiB),
    rssMiB: round(bridge.rssMiB - bare.rssMiB),
    where,
  };
}

export function markdown(result) {
  const process = (what, m) => m && `| ${what} | ${m.rssMiB} | ${m.anonymousMiB} | ${m.fileMiB} | |`;
  const container = (what, m, error) =>
    error
      ? `| ${what} | failed: ${error} | | | |`
      : m && `| ${what} | ${m.rssMiB} | ${m.anonymousMiB} | ${m.fileMiB} | ${m.dockerStatsMiB} |`;
  const image = result.bridgeImage ?? 'wharf/bridge';
  const rows = [
    process('bare `node` process, idle', result.bareNodeProcess),
    process('wharf-edge process (1 worker, 1 route)', result.edgeProcess),
    process('wharf-bridge process, host mode, 1 container', result.bridgeHostProcess),
    process('wharf-bridge process, sidecar mode', result.bridgeSidecarProcess),
    container('wharf/edge container', result.edgeContainer, result.edgeContainerError),
    container(
      `bare \`node\` in the ${image} image, idle`,
      result.bareNodeContainer,
      result.bareNodeContainerError,
    ),
    container(`${image} container, host mode`, result.bridgeContainer, result.bridgeContainerError),
    container(
      `${image} container, sidecar mode`,
      result.bridgeSidecarContainer,
      result.bridgeSidecarContainerError,
    ),
  ].filter(Boolean);
  const above = sidecarAboveBareNode(result);
  const compare = result.compare?.bridgeImage ? result.compare : undefined;
  const before = compare && sidecarAboveBareNode(compare);
  if (compare) {
    rows.push(
      container(
        `bare \`node\` in the ${compare.bridgeImage} image, idle`,
        compare.bareNodeContainer,
        compare.bareNodeContainerError,
      ),
      container(
        `${compare.bridgeImage} container, sidecar mode`,
        compare.bridgeSidecarContainer,
        compare.bridgeSidecarContainerError,
      ),
    );
  }
  return [
    `Idle = ${result.settleSeconds} s after start-up and registration, largest of 3 samples 1 s apart, summed over the process group. ` +
      'Anonymous = heap and stacks; file = mapped files, mostly the node binary, which every Node process on a host shares. ' +
      "docker stats = the container's cgroup usage as Docker reports it. All MiB.",
    '',
    '| what | RSS | anonymous | file | docker stats |',
    '|---|---:|---:|---:|---:|',
    ...rows,
    ...(above
      ? [
          '',
          `A sidecar bridge adds ${above.anonymousMiB} MiB anonymous (${above.rssMiB} MiB RSS) to a bare node (${above.where}).`,
        ]
      : []),
    ...(before
      ? [
          `The same measure for ${compare.bridgeImage}: ${before.anonymousMiB} MiB anonymous (${before.rssMiB} MiB RSS).`,
        ]
      : []),
  ].join('\n');
}
