import { setTimeout as sleep } from 'node:timers/promises';
import type { Watcher } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { eventually } from '../support/wait.js';
import { FaultRig, faultMs, recordResult } from './support/fault-rig.js';

const PARTITION_MS = faultMs(8_000, 6_000, 60_000);

describe('fault: 3-node etcd cluster, leader killed, then a member partitioned', () => {
  let cluster: EtcdCluster;
  let rig: FaultRig;

  beforeAll(async () => {
    cluster = await EtcdCluster.start(3);
    rig = await FaultRig.start({ scenario: 'etcd-cluster', etcd: cluster.endpoints, replicas: 2, ttl: '5s' });
  });
  afterAll(async () => {
    await rig?.close();
    await cluster?.close();
  });

  it('bridges and edge fail over: 0 registrations lost, 0 failed requests', async () => {
    const expected = rig.names.map((name) => rig.keyOf(name));
    // Every delete of a registered key while the faults play out is a lost registration.
    const deleted: string[] = [];
    const watcher: Watcher = await rig.client.watch().prefix(`${rig.prefix}/services/`).create();
    watcher.on('delete', (kv) => deleted.push(kv.key.toString()));
    const load = rig.startLoad();
    let report: Awaited<ReturnType<typeof load.stop>>;
    const measured: Record<string, number> = {};
    try {
      await eventually(() => expect(load.sent).toBeGreaterThan(200));

      const leader = await cluster.leader();
      let started = Date.now();
      await cluster.kill(leader);
      await cluster.waitHealthy();
      measured.newLeaderWritableMs = Date.now() - started;
      // Run on two members for longer than the bridges' lease TTL.
      await sleep(faultMs(6_000, 6_000, 60_000));
      cluster.restart(leader);
      await cluster.waitHealthy();

      const partitioned = await cluster.leader();
      started = Date.now();
      cluster.pause(partitioned);
      await cluster.waitHealthy();
      measured.partitionWritableMs = Date.now() - started;
      await sleep(PARTITION_MS);
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
      fault: `3-member cluster: leader SIGKILLed (6 s), restarted; then the new leader SIGSTOPped for ${PARTITION_MS / 1000} s`,
      requestsSent: report.sent,
      requestsFailed: report.failed,
      failures: report.failures,
      samples: report.samples,
      registrationsLost: lost,
      measured,
    });
    expect(report.failures, rig.dump()).toEqual({});
    expect(deleted).toEqual([]);
    expect(rig.edge.child.exitCode).toBeNull();
  });
});
