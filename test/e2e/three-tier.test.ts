import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createEtcdClient, KeyLayout } from '@wharf/core';
import type { Etcd3 } from 'etcd3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BridgeProcess } from '../bridge/support/bridge-process.js';
import { get } from '../edge/support/backends.js';
import { EdgeProcess } from '../edge/support/edge-process.js';
import { EtcdServer } from '../support/etcd-server.js';
import { SteadyLoad } from '../support/steady-load.js';
import { ThreeTier, type TierContainer } from '../support/three-tier.js';
import { eventually } from '../support/wait.js';

const execFileAsync = promisify(execFile);
const suffix = `${process.pid}`;
const network = `wharf-3tier-${suffix}`;
const node = `tiers-${suffix}`;
const layout = new KeyLayout('/wharf');
// Service names of their own, so nothing else on this Docker Engine is confused with them.
const tiers = new ThreeTier({ suffix, httpHost: `shop-${suffix}.test` });
const { names, httpHost: host } = tiers;

async function docker(...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('docker', args, { timeout: 60_000 });
  return stdout.trim();
}

// The three tiers of the demo (docker/demo/client.mjs, service.mjs, wharf/memcached), found
// through wharf only: client asks DNS (the edge's listener, via `docker run --dns`) for service's
// SRV records; service learns memcached's addresses from its update command. No links, no
// addresses anywhere in their configuration. One host-mode bridge and one edge (processes).
describe('three tiers found through wharf: client →(DNS SRV)→ service →(update command)→ memcached', () => {
  let etcd: EtcdServer;
  let client: Etcd3;
  let edge: EdgeProcess;
  let bridge: BridgeProcess;
  let gateway: string;
  const containers: string[] = [];

  const run = async (name: string, tier: TierContainer, options: string[] = []) => {
    containers.push(name);
    await docker(
      'run',
      '-d',
      '--name',
      name,
      '--network',
      network,
      ...options,
      ...(tier.entrypoint ? ['--entrypoint', tier.entrypoint] : []),
      ...Object.entries(tier.env).flatMap(([key, value]) => ['-e', `${key}=${value}`]),
      ...Object.entries(tier.labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]),
      tier.image,
      ...tier.command,
    );
  };
  const startMemcached = (index: number) =>
    run(`wharf-3tier-${suffix}-memcached-${index}`, tiers.memcached());
  const startService = (index: number) =>
    run(`wharf-3tier-${suffix}-service-${index}`, tiers.service(`service-${index}`));
  const memcachedAddress = async (index: number) =>
    `${await docker('inspect', '-f', `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, `wharf-3tier-${suffix}-memcached-${index}`)}:11211`;
  const servingKeys = async (service: string) => {
    const values = await client.getAll().prefix(layout.serviceKeys(service)).strings();
    return Object.entries(values)
      .filter(([, value]) => (JSON.parse(value) as { state: string }).state === 'serving')
      .map(([key]) => key.split(':').at(-2) as string)
      .sort();
  };

  beforeAll(async () => {
    await docker('network', 'create', '--label', 'wharf.test=three-tier', network);
    gateway = await docker('network', 'inspect', network, '-f', '{{range .IPAM.Config}}{{.Gateway}}{{end}}');
    etcd = await EtcdServer.start();
    client = createEtcdClient({ endpoints: [etcd.endpoint] });
    edge = await EdgeProcess.start({
      etcd: etcd.endpoint,
      prefix: layout.prefix,
      // Containers on the test network reach the edge's DNS on the network's gateway, port 53.
      env: { WHARF_DNS_LISTEN: `${gateway}:53`, WHARF_DNS_TTL: '1s', LOG_LEVEL: 'warn' },
    });
    bridge = new BridgeProcess({
      PATH: process.env.PATH ?? '',
      WHARF_ETCD: etcd.endpoint,
      WHARF_NODE: node,
      WHARF_TTL: '5s',
      // Container addresses on the test network: what the other containers (and the edge) dial.
      WHARF_INTERNAL: 'true',
      WHARF_NETWORK: network,
      LOG_LEVEL: 'info',
    });
    await startMemcached(1);
    await startService(1);
    await startService(2);
    await run(`wharf-3tier-${suffix}-client-1`, tiers.client('client-1'), ['--dns', gateway]);
  }, 180_000);

  afterEach((context) => {
    if (context.task.result?.state === 'fail') console.error(bridge?.dump());
  });
  afterAll(async () => {
    await Promise.all(containers.map((name) => docker('rm', '-f', name).catch(() => '')));
    await docker('network', 'rm', network).catch(() => '');
    await bridge?.kill('SIGKILL');
    await edge?.kill();
    client?.close();
    await etcd?.close();
  }, 60_000);

  it('answers through the chain, and keeps answering while memcached and service move under load', async () => {
    const first = await memcachedAddress(1);
    await eventually(async () => {
      const answer = await get(edge.url, host);
      expect(answer.status, answer.body).toBe(200);
      expect(answer.body).toMatch(tiers.answerPattern(first));
    }, 60_000);

    const load = SteadyLoad.start({ url: edge.url, host, concurrency: 2, pauseMs: 20 });
    let report: Awaited<ReturnType<typeof load.stop>>;
    try {
      // Move memcached: a second one, then the first stops (its data goes with it; the count restarts).
      await startMemcached(2);
      const second = await memcachedAddress(2);
      // Moved means: the new one serves, and the services were told (their update command ran).
      await eventually(async () => {
        for (const service of [1, 2]) {
          const known = await docker(
            'exec',
            `wharf-3tier-${suffix}-service-${service}`,
            'cat',
            '/tmp/memcached.addrs',
          );
          expect(known.split(',').sort()).toEqual([first, second].sort());
        }
      }, 30_000);
      await docker('stop', '-t', '10', `wharf-3tier-${suffix}-memcached-1`);
      await eventually(async () => {
        const answer = await get(edge.url, host);
        expect(answer.body).toContain(`(memcached ${second})`);
      }, 20_000);

      // Move service: a third instance, then the first stops (it drains for 1.5 s, then exits).
      await startService(3);
      await eventually(async () => {
        expect(await servingKeys(names.service)).toContain(`wharf-3tier-${suffix}-service-3`);
        expect(await docker('exec', `wharf-3tier-${suffix}-service-3`, 'cat', '/tmp/memcached.addrs')).toBe(
          second,
        );
      }, 30_000);
      await docker('stop', '-t', '10', `wharf-3tier-${suffix}-service-1`);
      await eventually(async () => {
        const seen = new Set<string>();
        for (let i = 0; i < 6; i++)
          seen.add(/service (service-\d)/.exec((await get(edge.url, host)).body)?.[1] ?? '');
        expect([...seen].sort()).toEqual(['service-2', 'service-3']);
      }, 20_000);
      const until = load.sent + 40;
      await eventually(() => expect(load.sent).toBeGreaterThan(until), 30_000);
    } finally {
      report = await load.stop();
    }
    console.log(
      `three tiers under load while memcached and service moved: ${report.sent} requests, ${report.failed} failed in ${report.durationMs} ms`,
    );
    expect(report.failures, report.samples.join('\n')).toEqual({});
    expect(report.failed).toBe(0);
    expect(bridge.find('update command ran').length).toBeGreaterThanOrEqual(5);
  });
});
