import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { RegistryProbe } from '../bridge/support/registry.js';
import { get } from '../edge/support/backends.js';
import {
  describeLoad,
  faultMs,
  loadFigures,
  recordResult,
  SCENARIO_TIMEOUT_MS,
  SOAK,
} from '../reliability/support/fault-rig.js';
import { MultiHostStack, type Replica, STACK_IMAGES } from '../support/multi-host-stack.js';
import type { SimulatedHost } from '../support/simulated-host.js';
import { SimulatedHosts } from '../support/simulated-hosts.js';
import { type LoadReport, SteadyLoad } from '../support/steady-load.js';
import { ThreeTier, type TierContainer } from '../support/three-tier.js';
import { eventually } from '../support/wait.js';

// Three simulated Docker hosts (each its own dockerd and address, test/support/simulated-hosts.ts),
// wharf deployed on them as docs/multi-host.md deploys it on real ones: one etcd member, one
// host-mode bridge, one edge and one wharf/demo replica per host. Every scenario sends traffic
// through the edges from this machine, breaks something, and measures; the figures go to
// test/artifacts/reliability/multihost-*.json (docs/reliability.md). The hosts are shared by
// the scenarios, in this order; each leaves every edge converged (checked by the next test),
// and host loss, which leaves a host dead, comes last.

const TTL_MS = 4_000;
/** Requests per second through each edge, on a fixed schedule (see SteadyLoad's open loop). */
const RATE = 25;
/** Below the load's 5 s timeout, so a request the edge could not get answered fails with a 504 naming the backend. */
const UPSTREAM_TIMEOUT = '3s';
const LOAD = `open loop, ${RATE} requests/s through each edge named, GET / with Host demo.localhost, 5 s timeout; edges with WHARF_UPSTREAM_TIMEOUT=${UPSTREAM_TIMEOUT}`;
/** h1 and h2 in zone a, h3 in zone b; the demo's replicas carry no zone, so every edge uses all. */
const EDGE_ZONES = { h1: 'a', h2: 'a', h3: 'b' };
/**
 * h1's edge runs the built-in plane, h2's and h3's the image's default, HAProxy: every scenario
 * holds both planes to its bar, and a host loss always leaves an edge of each kind but one.
 */
const EDGE_PLANES = { h1: 'builtin' } as const;
const planeOf = (host: string) => (host in EDGE_PLANES ? 'builtin' : 'haproxy');
/** The zones scenario's service: one replica in each zone. */
const ZONED = { service: 'zoned', httpHost: 'zoned.localhost' };
/** The three-tier scenario's apps, and the Host its client answers. */
const TIERS = new ThreeTier({ suffix: 'mh', httpHost: 'shop.localhost' });
/** Requests per second through each edge to the three tiers (each one also asks DNS and memcached). */
const TIERS_RATE = 10;
const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));

let hosts: SimulatedHosts;
let stack: MultiHostStack;
/** Loads not stopped yet: a failed test's are stopped after it. */
const running = new Set<SteadyLoad>();

beforeAll(async () => {
  const started = Date.now();
  hosts = await SimulatedHosts.start({
    name: `wharf-mh-${randomBytes(3).toString('hex')}`,
    count: 3,
    images: [...new Set([...STACK_IMAGES, ...ThreeTier.IMAGES])],
  });
  const hostsReady = Date.now();
  stack = await MultiHostStack.start(hosts, {
    ttl: `${TTL_MS / 1_000}s`,
    upstreamTimeout: UPSTREAM_TIMEOUT,
    accessLog: true,
    zones: EDGE_ZONES,
    planes: EDGE_PLANES,
    // The zones scenario removes its service: its Host must be gone before convergence is checked.
    routeGrace: '2s',
  });
  console.log(
    `[multihost] 3 hosts with images in ${((hostsReady - started) / 1_000).toFixed(1)} s, ` +
      `wharf routing on them ${((Date.now() - hostsReady) / 1_000).toFixed(1)} s later`,
  );
}, 300_000);

afterEach(async () => {
  await stopLoads([...running]);
});

afterAll(async () => {
  await hosts?.close();
}, 120_000);

describe(
  'wharf on three simulated hosts, one etcd cluster',
  { timeout: SOAK ? SCENARIO_TIMEOUT_MS : 90_000 },
  () => {
    it('cross-host routing: every edge routes to the replicas on every host, at addresses the others reach', async () => {
      keepLogsOnFailure('routing');
      for (const edge of hosts.hosts) {
        const routes = await stack.routes(edge);
        expect(routes.dataplane, edge.name).toBe(planeOf(edge.name));
        const routed = routes.table.hosts.find((entry) => entry.host === stack.httpHost);
        const endpoints = routed?.routes[0]?.endpoints ?? [];
        expect(endpoints.map((endpoint) => endpoint.id).sort()).toEqual(
          stack.replicas.map((replica) => stack.instanceId(replica)).sort(),
        );
        for (const replica of stack.replicas) {
          // The record says: this replica's host's own address and the port published there.
          expect(endpoints.find((endpoint) => endpoint.id === stack.instanceId(replica))).toMatchObject({
            address: replica.host.address,
            port: replica.port,
            state: 'serving',
          });
        }
      }
      const reports = await underLoad(hosts.hosts, () => sleep(3_000));
      expectNoFailures(reports, hosts.hosts);
      for (const [index, report] of reports.entries()) {
        // Answers from every replica, so from the two other hosts too, through each host's edge.
        expect(Object.keys(report.servedBy).sort(), hosts.hosts[index]!.name).toEqual(
          stack.replicas.map((replica) => replica.instance).sort(),
        );
      }
      record('routing', {
        fault: 'none: 3 hosts, 1 replica each; every edge must answer from the replicas on all three',
        reports,
        measured: Object.fromEntries(
          reports.map((report, index) => [
            `${hosts.hosts[index]!.name}EdgeHostsServing`,
            Object.keys(report.servedBy).length,
          ]),
        ),
      });
    });

    it('converges after routing', () => expectConverged(stack.liveHosts));

    it('relocation: start on another host, docker stop here, under load: 0 failed', async () => {
      keepLogsOnFailure('relocation');
      const origin = stack.replicas[0]!.host;
      const target = hosts.others(origin)[0]!;
      const measured: Record<string, number> = {};
      // There and back, so the next scenarios find one replica per host again.
      const loadStarted = Date.now();
      const reports = await underLoad(hosts.hosts, async () => {
        await relocate(stack.replicas[0]!, target, measured, 'there', loadStarted);
        await relocate(stack.replicas.at(-1)!, origin, measured, 'back', loadStarted);
        await sleep(1_000);
      });
      record('relocation', {
        fault: `a demo replica moved from ${origin.name} to ${target.name} and back: each time a new one started on the other host, then the old one stopped (docker stop; it serves 500 ms after SIGTERM)`,
        reports,
        measured,
      });
      expectNoFailures(reports, hosts.hosts);
    });

    it('converges after relocation', () => expectConverged(stack.liveHosts));

    it('zones: each edge answers from its own zone, and from the other when its zone has none serving: 0 failed', async () => {
      keepLogsOnFailure('zones');
      const [h1, h2, h3] = hosts.hosts as [SimulatedHost, SimulatedHost, SimulatedHost];
      expect([h1.name, h2.name, h3.name]).toEqual(Object.keys(EDGE_ZONES));
      const inA = await stack.startApp(h1, { ...ZONED, tags: ['zone=a'] });
      const inB = await stack.startApp(h3, { ...ZONED, tags: ['zone=b'] });
      const measured: Record<string, number> = {};
      try {
        await stack.waitRouted([inA, inB], hosts.hosts, ZONED.httpHost);
        const steady = await underLoad(hosts.hosts, () => sleep(2_000), ZONED.httpHost);
        expectNoFailures(steady, hosts.hosts);
        // h2's edge has no replica of its zone on its own host: it crosses hosts, not zones.
        expect(steady.map((report) => Object.keys(report.servedBy))).toEqual([
          [inA.instance],
          [inA.instance],
          [inB.instance],
        ]);

        // Zone b's only replica stops (its bridge drains it first): h3's edge turns to zone a.
        const stoppedAt = Date.now();
        const failover = await underLoad(
          [h3],
          async () => {
            await h3.stop(inB.name);
            await stack.waitRouted([inA], hosts.hosts, ZONED.httpHost);
            measured.otherZoneOnlyAfterStopMs = Date.now() - stoppedAt;
            await sleep(1_000);
          },
          ZONED.httpHost,
        );
        expectNoFailures(failover, [h3]);
        expect(Object.keys(failover[0]!.servedBy).sort()).toEqual([inA.instance, inB.instance].sort());
        // Zone b is back: h3's edge returns to it.
        const back = await stack.startApp(h3, { ...ZONED, tags: ['zone=b'] });
        await stack.waitRouted([inA, back], hosts.hosts, ZONED.httpHost);
        const returned = await underLoad([h3], () => sleep(1_000), ZONED.httpHost);
        expect(Object.keys(returned[0]!.servedBy)).toEqual([back.instance]);
        record('zones', {
          load: LOAD.replace('demo.localhost', ZONED.httpHost),
          fault: `edges h1, h2 in zone a and h3 in zone b (WHARF_ZONE); one replica of ${ZONED.httpHost} tagged zone=a on h1, one tagged zone=b on h3; the zone-b replica stopped (docker stop) under load, then a new one started`,
          reports: [...steady, ...failover, ...returned],
          measured,
        });
        await h3.docker(['rm', '-f', back.name]);
      } finally {
        await Promise.all([inA, inB].map((app) => app.host.docker(['rm', '-f', app.name]).catch(() => '')));
        // The later scenarios compare whole tables: wait until no edge holds the zoned Host.
        await stack.waitHostGone(ZONED.httpHost);
      }
    });

    it('converges after the zones scenario', () => expectConverged(stack.liveHosts));

    it('three tiers across hosts: client →(DNS SRV from its edge)→ service →(update command)→ memcached, memcached and a service moved under load: 0 failed', async () => {
      keepLogsOnFailure('three-tier');
      const [h1, h2, h3] = hosts.hosts as [SimulatedHost, SimulatedHost, SimulatedHost];
      const started: [SimulatedHost, string][] = [];
      /** Starts a tier on `host`; resolves with the `address:port` it is reached at from other hosts. */
      const run = (host: SimulatedHost, name: string, tier: TierContainer, dns?: string) => {
        started.push([host, name]);
        return stack.startTier(host, name, tier, dns);
      };
      /** What a service's update command last wrote: memcached's addresses as it knows them. */
      const told = async (host: SimulatedHost, service: string) =>
        (await host.docker(['exec', service, 'cat', '/tmp/memcached.addrs'])).trim().split(',').sort();
      const answer = (edge: SimulatedHost) => get(stack.edgeUrl(edge), TIERS.httpHost);
      const registry = new RegistryProbe(stack.etcdEndpoints());
      const measured: Record<string, number> = {};
      const began = Date.now();
      try {
        // memcached on h3, service on h2 and h3, the client on h1 asking h1's edge; all at once,
        // in no order: each finds the others through wharf when they serve.
        const gateway = await h1.bridgeGateway();
        const [first] = await Promise.all([
          run(h3, 'memcached-1', TIERS.memcached()),
          run(h2, 'service-1', TIERS.service('h2/service-1')),
          run(h3, 'service-2', TIERS.service('h3/service-2')),
          run(h1, 'client-1', TIERS.client('h1/client-1'), gateway),
        ]);
        await eventually(async () => {
          for (const edge of hosts.hosts) {
            const { status, body } = await answer(edge);
            expect(status, `through ${edge.name}'s edge: ${body}`).toBe(200);
            expect(body, `through ${edge.name}'s edge`).toMatch(TIERS.answerPattern(first));
          }
        }, 60_000);
        measured.chainAnswersThroughEveryEdgeMs = Date.now() - began;

        const loads = startLoads(hosts.hosts, { rate: TIERS_RATE, httpHost: TIERS.httpHost });
        const loadStarted = Date.now();
        // memcached moves h3 → h1: once it serves and both services were told, the old one stops.
        const second = await run(h1, 'memcached-2', TIERS.memcached());
        await eventually(async () => {
          expect(await told(h2, 'service-1')).toEqual([first, second].sort());
          expect(await told(h3, 'service-2')).toEqual([first, second].sort());
        }, 30_000);
        measured.memcachedServicesToldOfNewMs = Date.now() - loadStarted;
        let step = Date.now();
        await h3.stop('memcached-1');
        await eventually(async () => {
          expect(await told(h2, 'service-1')).toEqual([second]);
          expect(await told(h3, 'service-2')).toEqual([second]);
          for (const edge of hosts.hosts)
            expect((await answer(edge)).body).toMatch(TIERS.answerPattern(second));
        }, 20_000);
        measured.memcachedServicesToldOfStopMs = Date.now() - step;

        // A service moves h2 → h1: once it serves and was told where memcached is, the old one stops.
        step = Date.now();
        await run(h1, 'service-3', TIERS.service('h1/service-3'));
        await eventually(async () => {
          const records = await registry.all(`/wharf/services/${TIERS.names.service}/`);
          const record = [...records].find(([key]) => key.endsWith('/h1:service-3:8080'))?.[1];
          expect(record?.state).toBe('serving');
          expect(await told(h1, 'service-3')).toEqual([second]);
        }, 30_000);
        measured.serviceNewServingAndToldMs = Date.now() - step;
        step = Date.now();
        await h2.stop('service-1');
        // The client, asking DNS again, reaches the two services left, and only those.
        await eventually(async () => {
          const seen = new Set<string>();
          for (let index = 0; index < 6; index += 1)
            seen.add(/→ service (\S+):/.exec((await answer(h3)).body)?.[1] ?? '');
          expect([...seen].sort()).toEqual(['h1/service-3', 'h3/service-2']);
        }, 20_000);
        measured.serviceStoppedOutOfDnsMs = Date.now() - step;
        await sleep(1_000);
        const reports = await stopLoads(loads);
        record('three-tier', {
          load: `open loop, ${TIERS_RATE} requests/s through each edge, GET / with Host ${TIERS.httpHost}, 5 s timeout; each request goes edge → client (h1) → service → memcached`,
          fault:
            'client on h1 finds service by DNS (SRV from its edge); service on h2 and h3, told where memcached is by its update command; memcached on h3. memcached moved h3 → h1, then a service h2 → h1: each time the new one served (and was told) before the old one stopped (docker stop)',
          reports,
          measured: { ...measured, scenarioMs: Date.now() - began },
        });
        expectNoFailures(reports, hosts.hosts);
      } catch (error) {
        // What the tiers logged (what the client asked, what the services were told) goes too.
        for (const [host, name] of started)
          console.error(`--- ${name} on ${host.name}\n${await host.logs(name, { lines: 30 })}`);
        throw error;
      } finally {
        registry.close();
        await Promise.all(started.map(([host, name]) => host.docker(['rm', '-f', name]).catch(() => '')));
        // The later scenarios compare whole tables: wait until no edge holds the client's Host.
        await stack.waitHostGone(TIERS.httpHost);
      }
    });

    it('converges after the three-tier scenario', () => expectConverged(stack.liveHosts));

    it('partition longer than the TTL: keys expire, the cut edge keeps its table, all back ≤ 2 s after the heal', async () => {
      keepLogsOnFailure('partition');
      const cut = await followerWithReplica();
      const majority = hosts.others(cut);
      const registry = new RegistryProbe(stack.etcdEndpoints(majority));
      const cutKeys = (leases: Map<string, string>) => [...leases.keys()].filter((key) => ownedBy(key, cut));
      const measured: Record<string, number> = {};
      try {
        const before = await registry.leases();
        const leaseBefore = before.get(`/wharf/bridges/${cut.name}-bridge`);
        const cutKeyCount = stack.replicas.filter((replica) => replica.host === cut).length + 1;
        expect(cutKeys(before)).toHaveLength(cutKeyCount);
        const tableBefore = await stack.routes(cut);

        const untilExpiry = startLoads(majority);
        await sleep(1_000);
        await hosts.partition(cut);
        const cutAt = Date.now();
        await eventually(async () => expect(cutKeys(await registry.leases())).toEqual([]), TTL_MS * 3);
        measured.keysGoneAfterCutMs = Date.now() - cutAt;
        await stack.waitRouted(
          stack.replicas.filter((replica) => replica.host !== cut),
          majority,
        );
        measured.otherEdgesRouteAroundItAfterCutMs = Date.now() - cutAt;
        // Stopping waits for requests still hanging (up to their timeout); the cut goes on meanwhile.
        const duringExpiry = stopLoads(untilExpiry);

        // Cut off, past its TTL: the others route without it, and its own edge keeps its last
        // table and answers from it (its own replica at least; the others are out of its reach).
        const afterExpiry = startLoads(majority);
        const [cutEdge] = startLoads([cut], { rate: 10, timeoutMs: 2_000 }) as [SteadyLoad];
        const heldUntil = cutAt + TTL_MS + faultMs(2_000, 1_000, 30_000);
        await sleep(Math.max(0, heldUntil - Date.now()));
        const tableDuring = await stack.routes(cut);
        const ownReplica = stack.replicas.find((replica) => replica.host === cut)!;
        expect(tableDuring.revision).toBe(tableBefore.revision);
        expect(tableDuring.table.hosts).toEqual(tableBefore.table.hosts);
        await eventually(() => expect(cutEdge.servedByNow[ownReplica.instance]).toBeGreaterThan(0), 5_000);
        const [cutEdgeReport] = (await stopLoads([cutEdge])) as [LoadReport];
        const cutEdgeOwnAnswers = cutEdgeReport.servedBy[ownReplica.instance] ?? 0;
        measured.cutMs = Date.now() - cutAt;

        await cut.heal();
        const healedAt = Date.now();
        const afterHeal = startLoads(hosts.hosts);
        await eventually(
          async () => expect(cutKeys(await registry.leases())).toHaveLength(cutKeyCount),
          10_000,
        );
        measured.keysBackAfterHealMs = Date.now() - healedAt;
        await stack.waitRouted(stack.replicas);
        measured.everyEdgeRoutesAllAfterHealMs = Date.now() - healedAt;
        await sleep(1_000);
        const [beforeExpiry, expired, healed] = [
          await duringExpiry,
          await stopLoads(afterExpiry),
          await stopLoads(afterHeal),
        ];

        // Nothing stale, nothing twice: one key per running replica and per bridge, the cut
        // host's on a new lease, each record at its host's address.
        const after = await registry.leases();
        expect([...after.keys()].sort()).toEqual(
          [
            ...stack.replicas.map((replica) => `/wharf/services/demo/${stack.instanceId(replica)}`),
            ...hosts.hosts.map((host) => `/wharf/bridges/${host.name}-bridge`),
          ].sort(),
        );
        expect(new Set(cutKeys(after).map((key) => after.get(key)))).toEqual(
          new Set([after.get(`/wharf/bridges/${cut.name}-bridge`)]),
        );
        expect(after.get(`/wharf/bridges/${cut.name}-bridge`)).not.toBe(leaseBefore);
        for (const [key, record] of await registry.all('/wharf/services/demo/')) {
          const replica = stack.replicas.find((candidate) =>
            key.endsWith(`/${stack.instanceId(candidate)}`),
          )!;
          expect(record.address, key).toBe(replica.host.address);
        }

        record('partition', {
          fault: `${cut.name} (an etcd follower) cut off from the other hosts (iptables DROP both ways) for ${(measured.cutMs / 1_000).toFixed(1)} s, TTL ${TTL_MS / 1_000} s, then healed`,
          reports: [...beforeExpiry, ...expired, ...healed],
          measured: {
            ...measured,
            cutEdgeOwnReplicaAnswers: cutEdgeOwnAnswers,
            cutEdgeTableRevisionKept: tableDuring.revision,
          },
          notes: {
            beforeExpiry: beforeExpiry.map(describeLoad),
            afterExpiry: expired.map(describeLoad),
            afterHeal: healed.map(describeLoad),
            cutEdge: describeLoad(cutEdgeReport),
          },
        });
        expect(measured.keysGoneAfterCutMs).toBeLessThanOrEqual(TTL_MS + 1_000);
        expect(measured.keysBackAfterHealMs).toBeLessThanOrEqual(2_000);
        expectNoFailures(expired, majority);
        expectNoFailures(healed, hosts.hosts);
      } finally {
        await cut.heal();
        registry.close();
      }
    });

    it('converges after the partition', () => expectConverged(stack.liveHosts));

    it('host loss: docker kill of a whole host under load, keys gone ≤ TTL + 1 s, quorum kept, ≤ 0.1 % failed', async () => {
      keepLogsOnFailure('host-loss');
      const lost = await followerWithReplica();
      const survivors = hosts.others(lost);
      const registry = new RegistryProbe(stack.etcdEndpoints(survivors));
      const measured: Record<string, number> = {};
      try {
        expect([...(await registry.leases()).keys()].filter((key) => ownedBy(key, lost))).toHaveLength(
          stack.replicas.filter((replica) => replica.host === lost).length + 1,
        );
        const untilExpiry = startLoads(survivors);
        await sleep(1_000);
        await stack.killHost(lost);
        const killedAt = Date.now();
        await eventually(
          async () =>
            expect([...(await registry.leases()).keys()].filter((key) => ownedBy(key, lost))).toEqual([]),
          TTL_MS * 3,
        );
        measured.keysGoneAfterKillMs = Date.now() - killedAt;
        await stack.waitRouted(stack.replicas, survivors);
        measured.edgesRouteAroundItAfterKillMs = Date.now() - killedAt;
        const beforeExpiry = await stopLoads(untilExpiry);

        // Two members of three: a linearizable read needs the quorum, and a leader answers.
        const status = await registry.client.maintenance.status();
        expect(status.leader).not.toBe('0');
        await registry.client.get('/wharf/bridges/').exec();

        const expired = await underLoad(survivors, () => sleep(3_000));
        const { requestsFailed: failed, requestsSent: sent } = loadFigures(...beforeExpiry);
        measured.failedPerMilleBeforeExpiry = Math.round((failed / sent) * 10_000) / 10;
        measured.slowestRequestMs = Math.max(...beforeExpiry.map((report) => report.slowestMs));
        record('host-loss', {
          fault: `${lost.name} (an etcd follower, with its bridge, edge and replica) SIGKILLed as a whole (docker kill), TTL ${TTL_MS / 1_000} s`,
          reports: [...beforeExpiry, ...expired],
          measured,
          notes: {
            beforeExpiry: beforeExpiry.map((report, index) => onEdge(survivors[index]!.name, report)),
            afterExpiry: expired.map((report, index) => onEdge(survivors[index]!.name, report)),
          },
        });
        expect(measured.keysGoneAfterKillMs).toBeLessThanOrEqual(TTL_MS + 1_000);
        expectNoFailures(expired, survivors);
        // The target: retried onto the other hosts, at most 1 in 1,000 fails.
        expect(
          failed,
          beforeExpiry.map((report, index) => onEdge(survivors[index]!.name, report)).join('\n'),
        ).toBeLessThanOrEqual(sent / 1_000);
      } finally {
        registry.close();
      }
    });

    it('converges after the host loss', () => expectConverged(stack.liveHosts));
  },
);

/** One load's figures, with the edge and the plane it went through. */
function onEdge(host: string, report: LoadReport): string {
  return `${host} (${planeOf(host)} plane): ${describeLoad(report)}`;
}

/**
 * A host to cut off or lose: one that runs a replica (else the edges would lose nothing) and
 * whose etcd member follows. Losing the leader adds an election to every figure, and the new
 * leader renews every lease once (by its election timeout), which delays expiry past the TTL.
 */
async function followerWithReplica(): Promise<SimulatedHost> {
  const leader = await stack.etcdLeader();
  const host = stack.liveHosts.find(
    (candidate) => candidate !== leader && stack.replicas.some((replica) => replica.host === candidate),
  );
  if (!host) throw new Error(`no etcd follower runs a replica (leader ${leader.name})`);
  return host;
}

/**
 * Starts a replica on `target`, waits until every edge routes it, then stops `replica`; notes
 * when each step began (ms after `since`, when the load began) and how long it took.
 */
async function relocate(
  replica: Replica,
  target: SimulatedHost,
  measured: Record<string, number>,
  leg: string,
  since: number,
) {
  let started = Date.now();
  measured[`${leg}StartedAtMs`] = started - since;
  await stack.startReplica(target);
  await stack.waitRouted(stack.replicas);
  measured[`${leg}NewReplicaRoutedByEveryEdgeMs`] = Date.now() - started;
  started = Date.now();
  measured[`${leg}StopAtMs`] = started - since;
  await stack.stopReplica(replica);
  await stack.waitRouted(stack.replicas);
  measured[`${leg}StoppedReplicaGoneFromEveryEdgeMs`] = Date.now() - started;
}

/** Whether `key` (a service or bridge key) belongs to `host` (node names are host names). */
function ownedBy(key: string, host: SimulatedHost): boolean {
  return key.includes(`/${host.name}:`) || key.endsWith(`/${host.name}-bridge`);
}

/** Every request through every edge answered; the message names the edge and when they failed. */
function expectNoFailures(reports: readonly LoadReport[], edges: readonly SimulatedHost[]): void {
  for (const [index, report] of reports.entries()) {
    expect(report.failures, `through ${onEdge(edges[index]!.name, report)}`).toEqual({});
  }
}

function startLoads(
  edges: readonly SimulatedHost[],
  options: { rate?: number; timeoutMs?: number; httpHost?: string } = {},
): SteadyLoad[] {
  return edges.map((edge) => {
    const load = SteadyLoad.start({
      url: stack.edgeUrl(edge),
      host: options.httpHost ?? stack.httpHost,
      ratePerSecond: options.rate ?? RATE,
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    });
    running.add(load);
    return load;
  });
}

function stopLoads(loads: readonly SteadyLoad[]): Promise<LoadReport[]> {
  for (const load of loads) running.delete(load);
  return Promise.all(loads.map((load) => load.stop()));
}

/** Load through `edges` while `during` runs; one report per edge. */
async function underLoad(
  edges: readonly SimulatedHost[],
  during: () => Promise<unknown>,
  httpHost?: string,
): Promise<LoadReport[]> {
  const loads = startLoads(edges, httpHost ? { httpHost } : {});
  await during();
  return stopLoads(loads);
}

/** Every edge in `edges` shows the same table at the same etcd revision, matching etcd. */
async function expectConverged(edges: readonly SimulatedHost[]): Promise<void> {
  keepLogsOnFailure('convergence');
  const registry = new RegistryProbe(stack.etcdEndpoints(edges));
  try {
    await eventually(async () => {
      const documents = await Promise.all(edges.map((edge) => stack.routes(edge)));
      const registered = [...(await registry.all('/wharf/services/demo/')).keys()].sort();
      for (const [index, document] of documents.entries()) {
        const name = edges[index]!.name;
        expect(document.revision, name).toBe(documents[0]!.revision);
        expect(document.table.hosts, name).toEqual(documents[0]!.table.hosts);
        const routed = document.table.hosts.find((entry) => entry.host === stack.httpHost)?.routes[0]
          ?.endpoints;
        expect(routed?.map((endpoint) => endpoint.key).sort(), name).toEqual(registered);
      }
    }, 10_000);
  } finally {
    registry.close();
  }
}

function record(
  scenario: string,
  result: {
    /** What the load was, if not the demo's `LOAD`. */
    load?: string;
    fault: string;
    reports: readonly LoadReport[];
    measured: Record<string, number>;
    notes?: Record<string, unknown>;
  },
): void {
  recordResult({
    scenario: `multihost-${scenario}`,
    load: result.load ?? LOAD,
    fault: result.fault,
    ...loadFigures(...result.reports),
    registrationsLost: 0,
    measured: result.measured,
    ...(result.notes ? { notes: result.notes } : {}),
  });
}

/** On failure, what every program on every host logged goes to test/artifacts/. */
function keepLogsOnFailure(scenario: string): void {
  onTestFailed(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const path = `${ARTIFACTS}multihost-${scenario}.log`;
    writeFileSync(path, await stack.dump(80));
    console.error(`[multihost] ${scenario} failed; the hosts' logs: ${path}`);
  });
}
