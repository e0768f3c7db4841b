// The demo on simulated hosts, for people: `./run.sh up --hosts N`, and the hosts' part of
// `./run.sh status` and `./run.sh down`, which call this through tsx:
//
//   npx tsx test/support/multi-host-demo.ts up N | status | down
//
// Same hosts and same deployment as the multi-host tests (simulated-hosts.ts,
// multi-host-stack.ts); only the names are fixed, so later commands find what `up` started.
import { request } from 'node:http';
import {
  DEFAULT_HTTP_HOST,
  EDGE_ADMIN_PORT,
  EDGE_PORT,
  MultiHostStack,
  STACK_IMAGES,
} from './multi-host-stack.js';
import { poll } from './poll.js';
import type { SimulatedHost } from './simulated-host.js';
import { SimulatedHosts } from './simulated-hosts.js';
import { ThreeTier } from './three-tier.js';

const GROUP = 'wharf-demo-hosts';
/** run.sh's stack label: `./run.sh status` lists these hosts with the rest of the demo. */
const STACK_LABELS = { 'wharf.stack': 'demo' };
const MAX_HOSTS = 9;
/** The three-tier demo, with the names `./run.sh up` gives it on one host. */
const TIERS = new ThreeTier({ httpHost: 'shop.localhost' });
const IMAGES = [...new Set([...STACK_IMAGES, ...ThreeTier.IMAGES])];

async function up(count: number): Promise<void> {
  const existing = await SimulatedHosts.find(GROUP);
  if (existing && existing.hosts.length === count && (await allRunning(existing.hosts))) {
    console.log(`${count} simulated hosts are up already (./run.sh down removes them)`);
    await showAnswers(existing.hosts);
    return;
  }
  if (existing) {
    console.log(`removing the ${existing.hosts.length} simulated hosts there were`);
    await existing.close();
  }
  console.log(
    `starting ${count} simulated hosts and loading ${IMAGES.join(', ')} into each (a minute or two)`,
  );
  const hosts = await SimulatedHosts.start({
    name: GROUP,
    count,
    images: IMAGES,
    labels: STACK_LABELS,
  });
  try {
    for (const host of hosts.hosts)
      console.log(`  ${host.name}  ${host.address}  (container ${host.container})`);
    console.log('starting an etcd member, a bridge, an edge and a demo replica on each');
    const stack = await MultiHostStack.start(hosts, { restart: 'unless-stopped' });
    await startThreeTier(stack);
  } catch (error) {
    await hosts.close();
    throw error;
  }
  await showAnswers(hosts.hosts);
  const [first, second] = hosts.hosts as [SimulatedHost, SimulatedHost | undefined];
  const tips: [string, string][] = [
    [
      `curl -H 'Host: ${DEFAULT_HTTP_HOST}' http://${first.address}:${EDGE_PORT}/`,
      "any host's edge reaches every host's replica",
    ],
    [
      `curl -H 'Host: ${TIERS.httpHost}' http://${first.address}:${EDGE_PORT}/`,
      'the three tiers, each found through wharf across hosts',
    ],
    [`curl http://${first.address}:${EDGE_ADMIN_PORT}/routes`, `${first.name}'s route table`],
    ['./run.sh status', 'hosts, their containers, what etcd holds'],
    ...(second
      ? [
          [
            `docker kill ${second.container}`,
            `power loss of ${second.name}: its keys expire, the edges route around it`,
          ] as [string, string],
        ]
      : []),
    ['./run.sh down', 'removes the hosts with everything in them'],
  ];
  const width = Math.max(...tips.map(([command]) => command.length));
  console.log(`\nwharf runs on ${count} simulated hosts. Try:`);
  for (const [command, what] of tips) console.log(`  ${command.padEnd(width)}  # ${what}`);
}

/**
 * The three-tier demo spread over the hosts: memcached on the last, `service` on the second and
 * third (or whichever exist), `client` on the first, asking its own host's edge for DNS. Waits
 * until the chain answers through every edge.
 */
async function startThreeTier(stack: MultiHostStack): Promise<void> {
  const hosts = stack.hosts.hosts;
  const on = (index: number) => hosts[index % hosts.length]!;
  console.log(
    `starting the three-tier demo: memcached on ${on(hosts.length - 1).name}, service on ${[...new Set([on(1).name, on(2).name])].join(' and ')}, client on ${on(0).name}`,
  );
  await Promise.all([
    stack.startTier(on(hosts.length - 1), 'wharf-memcached-1', TIERS.memcached()),
    stack.startTier(on(1), 'wharf-service-1', TIERS.service(`${on(1).name}/service-1`)),
    stack.startTier(on(2), 'wharf-service-2', TIERS.service(`${on(2).name}/service-2`)),
    stack.startTier(
      on(0),
      'wharf-client-1',
      TIERS.client(`${on(0).name}/client-1`),
      await on(0).bridgeGateway(),
    ),
  ]);
  await poll(
    async () => {
      for (const edge of hosts) {
        const answer = await ask(edge, TIERS.httpHost);
        if (!TIERS.answerPattern().test(answer)) throw new Error(`${edge.name}'s edge answered ${answer}`);
      }
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
}

async function allRunning(hosts: readonly SimulatedHost[]): Promise<boolean> {
  const states = await Promise.all(
    hosts.map((host) =>
      host.exec(['true']).then(
        () => true,
        () => false,
      ),
    ),
  );
  return states.every(Boolean);
}

/** Requests through every host's edge: which host's replica answered each, and what the three tiers say. */
async function showAnswers(hosts: readonly SimulatedHost[]): Promise<void> {
  console.log(`\nwho answers Host: ${DEFAULT_HTTP_HOST}, through each host's edge:`);
  for (const edge of hosts) {
    const answers: string[] = [];
    for (let index = 0; index < 6; index += 1) {
      const answer = await ask(edge, DEFAULT_HTTP_HOST);
      answers.push(/^hello from (\S+)/.exec(answer)?.[1] ?? answer);
    }
    console.log(`  via ${edge.name}'s edge (${edge.address}:${EDGE_PORT}): ${answers.join(', ')}`);
  }
  console.log(`\nHost: ${TIERS.httpHost} (client → service → memcached), through each host's edge:`);
  for (const edge of hosts)
    console.log(`  via ${edge.name}'s edge: ${(await ask(edge, TIERS.httpHost)).trim()}`);
}

/** One GET / with `host` through `edge`'s edge: the body of a 200, or what went wrong. */
function ask(edge: SimulatedHost, host: string): Promise<string> {
  return new Promise((resolve) => {
    const req = request(
      { host: edge.address, port: EDGE_PORT, path: '/', headers: { host }, timeout: 3_000 },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () =>
          resolve(response.statusCode === 200 ? body : `HTTP ${response.statusCode} ${body}`),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 3 s')));
    req.on('error', (error) => resolve(`(${error.message})`));
    req.end();
  });
}

async function status(): Promise<void> {
  const group = await SimulatedHosts.find(GROUP);
  if (!group) {
    console.log('no simulated hosts (./run.sh up --hosts 3 starts them)');
    return;
  }
  console.log(`simulated hosts (${group.name}):`);
  let etcdHost: SimulatedHost | undefined;
  for (const host of group.hosts) {
    const containers = await host
      .docker(['ps', '-a', '--format', 'table {{.Names}}\t{{.Image}}\t{{.Status}}\t{{.Ports}}'])
      .catch(() => undefined);
    console.log(`\n  ${host.name}  ${host.address || '(not running)'}  container ${host.container}`);
    if (containers === undefined) continue;
    etcdHost ??= host;
    for (const line of containers.trimEnd().split('\n')) console.log(`    ${line}`);
  }
  if (!etcdHost) return;
  const registered = await etcdHost
    .docker(['exec', 'wharf-etcd', 'etcdctl', 'get', '--prefix', '/wharf/'])
    .catch((error: Error) => `(etcd on ${etcdHost?.name} does not answer: ${error.message})\n`);
  console.log(`\nregistered under /wharf/ (asked on ${etcdHost.name}):`);
  const lines = registered.trimEnd().split('\n');
  for (let index = 0; index + 1 < lines.length; index += 2)
    console.log(`  ${lines[index]}\n    ${lines[index + 1]}`);
}

async function down(): Promise<void> {
  const group = await SimulatedHosts.find(GROUP);
  if (!group) return;
  await group.close();
  console.log(`removed ${group.hosts.length} simulated hosts and their network`);
}

async function main(args: readonly string[]): Promise<void> {
  const [command, countText] = args;
  switch (command) {
    case 'up': {
      const count = Number(countText);
      if (!Number.isInteger(count) || count < 1 || count > MAX_HOSTS) {
        throw new Error(`--hosts needs a number of hosts from 1 to ${MAX_HOSTS}, got '${countText ?? ''}'`);
      }
      return up(count);
    }
    case 'status':
      return status();
    case 'down':
      return down();
    default:
      throw new Error(`usage: multi-host-demo.ts up N | status | down (got '${command ?? ''}')`);
  }
}

main(process.argv.slice(2)).catch((error: Error) => {
  console.error(`run.sh: ${error.message}`);
  process.exitCode = 1;
});
