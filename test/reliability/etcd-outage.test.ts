import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA_PLANES } from '../support/data-planes.js';
import { EtcdServer } from '../support/etcd-server.js';
import type { LoadReport } from '../support/steady-load.js';
import { eventually } from '../support/wait.js';
import { FaultRig, faultMs, loadFigures, recordResult, SCENARIO_TIMEOUT_MS } from './support/fault-rig.js';

const OUTAGE_MS = faultMs(30_000, 15_000, 120_000);

describe(`fault: etcd stopped for ${OUTAGE_MS / 1000} s under load`, { timeout: SCENARIO_TIMEOUT_MS }, () => {
  let etcd: EtcdServer;
  let rig: FaultRig;

  beforeAll(async () => {
    etcd = await EtcdServer.start();
    // One edge per data plane on the same replicas: one outage, measured through every plane.
    rig = await FaultRig.start({
      scenario: 'etcd-outage',
      etcd: [etcd.endpoint],
      replicas: 2,
      planes: DATA_PLANES,
    });
  });
  afterAll(async () => {
    await rig?.close();
    await etcd?.close();
  });

  it('serves every request from the last table, and every registration is back within 2 s, nothing stale', async () => {
    // Side containers on another Host: they change while etcd is away (one goes, one comes), so
    // the registry must show exactly that afterwards, while the replicas under load stay put.
    const side = { ...rig.labels, 'wharf.http.host': 'side.rel.test' };
    const [gone, added] = [`${rig.names[0]}-side-gone`, `${rig.names[0]}-side-added`];
    await rig.containers.start(gone, { labels: side });
    const expected = [...rig.names, added].map((name) => rig.keyOf(name)).sort();
    await rig.waitRegistered([...rig.names, gone]);
    const loads = rig.startLoads();
    const reports = new Map<string, LoadReport>();
    let restoredMs = Number.NaN;
    // Until proven back, every registration counts as lost.
    let lost = expected.length;
    try {
      for (const load of loads.values()) await eventually(() => expect(load.sent).toBeGreaterThan(200));
      await etcd.stop('SIGKILL');
      const outageStarted = Date.now();
      await rig.containers.remove(gone);
      await rig.containers.start(added, { labels: side });
      // A fixed sleep is the fault's length here, not a wait for a condition.
      await sleep(OUTAGE_MS - (Date.now() - outageStarted));
      for (const edge of rig.edges.values()) expect(edge.child.exitCode).toBeNull();
      for (const bridge of rig.bridges) expect(bridge.running).toBe(true);

      await etcd.start();
      const returned = Date.now();
      // Back = every key present and serving, on a lease etcd still has.
      await eventually(async () => {
        const now = await rig.registered();
        expect([...now.keys()].sort()).toEqual(expected);
        expect([...now.values()].every((entry) => entry.state === 'serving')).toBe(true);
        const leases = new Set([...now.values()].map((entry) => entry.lease));
        for (const lease of leases) {
          const ttl = await leaseTtl(rig, lease);
          expect(ttl).toBeGreaterThan(0);
        }
      }, 10_000);
      restoredMs = Date.now() - returned;
      lost = 0;

      // Still there a full TTL later: the bridge really keeps its lease alive again.
      await sleep(4_000);
      const after = await rig.registered();
      lost = expected.filter((key) => !after.has(key)).length;
      expect([...after.keys()].sort()).toEqual(expected);
      await rig.waitServedByAll();
      for (const load of loads.values()) {
        const until = load.sent + 200;
        await eventually(() => expect(load.sent).toBeGreaterThan(until));
      }
    } finally {
      for (const [plane, load] of loads) reports.set(plane, await load.stop());
    }
    for (const [plane, report] of reports) {
      recordResult({
        scenario: plane === 'builtin' ? 'etcd-outage' : `etcd-outage-${plane}`,
        load: `4 keep-alive loops, ~5 ms apart, through the ${plane} edge to 2 wharf/demo replicas`,
        fault: `etcd SIGKILLed for ${OUTAGE_MS / 1000} s, then restarted; meanwhile a container on another Host removed and one started`,
        ...loadFigures(report),
        registrationsLost: lost,
        measured: { registrationsRestoredMs: restoredMs },
      });
    }
    for (const [plane, report] of reports)
      expect({ plane, failures: report.failures }, rig.dump()).toEqual({ plane, failures: {} });
    expect(lost).toBe(0);
    expect(restoredMs).toBeLessThanOrEqual(2_000);
  });

  it('loses no request when a replica dies while etcd is away (retry and passive health)', async () => {
    const [victim, ...kept] = rig.names as [string, ...string[]];
    const loads = rig.startLoads();
    const reports = new Map<string, LoadReport>();
    try {
      for (const load of loads.values()) await eventually(() => expect(load.sent).toBeGreaterThan(200));
      await etcd.stop('SIGKILL');
      // The bridge cannot deregister it: only the edge's retries and passive health stand between
      // the dead replica and the clients.
      await rig.containers.remove(victim);
      await sleep(faultMs(5_000, 5_000, 30_000));
      await etcd.start();
      await rig.waitRegistered([...kept, `${rig.names[0]}-side-added`]);
      for (const load of loads.values()) {
        const until = load.sent + 200;
        await eventually(() => expect(load.sent).toBeGreaterThan(until));
      }
    } finally {
      for (const [plane, load] of loads) reports.set(plane, await load.stop());
    }
    for (const [plane, report] of reports) {
      recordResult({
        scenario: plane === 'builtin' ? 'etcd-outage-replica-dies' : `etcd-outage-replica-dies-${plane}`,
        load: `4 keep-alive loops, ~5 ms apart, through the ${plane} edge to 2 wharf/demo replicas`,
        fault: 'etcd SIGKILLed for 5 s; meanwhile one replica removed (docker rm -f)',
        ...loadFigures(report),
        registrationsLost: 0,
        measured: {},
      });
    }
    for (const [plane, report] of reports)
      expect({ plane, failures: report.failures }).toEqual({ plane, failures: {} });
  });
});

/** Remaining TTL of a lease in seconds (-1 when etcd no longer has it). */
async function leaseTtl(rig: FaultRig, lease: string): Promise<number> {
  const response = await rig.client.leaseClient.leaseTimeToLive({ ID: lease });
  return Number(response.TTL);
}
