import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { Watcher } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { eventually } from '../support/wait.js';
import { FaultRig, faultMs, loadFigures, recordResult, SCENARIO_TIMEOUT_MS } from './support/fault-rig.js';

const PARTITION_MS = faultMs(8_000, 6_000, 60_000);

describe(
  'fault: 3-node etcd cluster, leader killed, then a member partitioned',
  { timeout: SCENARIO_TIMEOUT_MS },
  () => {
    let cluster: EtcdCluster;
    let rig: FaultRig;

    beforeAll(async () => {
      cluster = await EtcdCluster.start(3);
      rig = await FaultRig.start({
        scenario: 'etcd-cluster',
        etcd: cluster.endpoints,
        replicas: 2,
        ttl: '5s',
      });
    });
    afterAll(async () => {
      await rig?.close();
      await cluster?.close();
    });

    it('bridges and edge fail over: 0 registrations lost, 0 failed requests', async () => {
      const expected = rig.names.map((name) => rig.keyOf(name));
      // Every delete of one of this scenario's keys while the faults play out is a lost
      // registration. (The host-mode bridge also registers other tests' labelled containers on the
      // same Docker Engine; those come and go on their own.)
      const deleted: string[] = [];
      const watcher: Watcher = await rig.client.watch().prefix(`${rig.prefix}/services/`).create();
      const t0 = Date.now();
      const timeline: string[] = [];
      const mark = (event: string) => timeline.push(`${Date.now() - t0} ms ${event}`);
      watcher.on('delete', (kv) => {
        deleted.push(kv.key.toString());
        if (expected.includes(kv.key.toString())) mark(`deleted ${kv.key.toString()}`);
      });
      const load = rig.startLoad();
      let report: Awaited<ReturnType<typeof load.stop>>;
      const measured: Record<string, number> = {};
      try {
        await eventually(() => expect(load.sent).toBeGreaterThan(200));

        const leader = await cluster.leader();
        let started = Date.now();
        mark(`killing leader m${leader}`);
        await cluster.kill(leader);
        await cluster.waitHealthy();
        measured.newLeaderWritableMs = Date.now() - started;
        // Run on two members for longer than the bridges' lease TTL.
        await sleep(faultMs(6_000, 6_000, 60_000));
        mark(`restarting m${leader}`);
        cluster.restart(leader);
        await cluster.waitHealthy();

        // Partition the member the bridge's lease keep-alive stream uses: the worst case, and
        // the one that tells whether the client notices a silent member within the lease TTL.
        const partitioned =
          (await membersUsedBy(rig.bridge.child.pid!, cluster))[0] ?? (await cluster.leader());
        started = Date.now();
        mark(`pausing m${partitioned}, the member the bridge is connected to`);
        cluster.pause(partitioned);
        await cluster.waitHealthy();
        measured.partitionWritableMs = Date.now() - started;
        await sleep(PARTITION_MS);
        mark(`resuming m${partitioned}`);
        cluster.resume(partitioned);
        await cluster.waitHealthy();

        const until = load.sent + 300;
        await eventually(() => expect(load.sent).toBeGreaterThan(until));
        await rig.waitRegistered();
      } finally {
        report = await load.stop();
        await watcher.cancel();
      }
      const lost = new Set(deleted.filter((key) => expected.includes(key))).size;
      recordResult({
        scenario: 'etcd-cluster',
        load: '4 keep-alive loops, ~5 ms apart, through the edge to 2 wharf/demo replicas; bridge TTL 5 s',
        fault: `3-member cluster: leader SIGKILLed (6 s), restarted; then the member the bridge is connected to SIGSTOPped for ${PARTITION_MS / 1000} s`,
        ...loadFigures(report),
        registrationsLost: lost,
        measured,
      });
      expect(report.failures, rig.dump()).toEqual({});
      expect(
        deleted.filter((key) => expected.includes(key)),
        timeline.join('\n'),
      ).toEqual([]);
      expect(lost).toBe(0);
      expect(rig.edge.child.exitCode).toBeNull();
    });
  },
);

/** Indexes of the cluster members a process has TCP connections to (from `ss`). */
async function membersUsedBy(pid: number, cluster: EtcdCluster): Promise<number[]> {
  const { stdout } = await promisify(execFile)('ss', ['-tnpH', 'state', 'established']);
  const ports = new Set<number>();
  for (const line of stdout.split('\n')) {
    if (!line.includes(`pid=${pid},`)) continue;
    const peer = line.trim().split(/\s+/)[3] ?? '';
    ports.add(Number(peer.slice(peer.lastIndexOf(':') + 1)));
  }
  return cluster.members.flatMap((member, index) => (ports.has(member.clientPort) ? [index] : []));
}
