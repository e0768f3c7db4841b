import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get } from '../edge/support/backends.js';
import { EtcdServer } from '../support/etcd-server.js';
import { eventually } from '../support/wait.js';
import { FaultRig, faultMs, recordResult, SCENARIO_TIMEOUT_MS } from './support/fault-rig.js';

const TTL_MS = 3_000;

describe(
  'fault: a bridge killed, and a bridge cut off from etcd for longer than its TTL',
  { timeout: SCENARIO_TIMEOUT_MS },
  () => {
    let etcd: EtcdServer;
    let rig: FaultRig;

    beforeAll(async () => {
      etcd = await EtcdServer.start();
      rig = await FaultRig.start({ scenario: 'bridge-loss', etcd: [etcd.endpoint], replicas: 2, ttl: '3s' });
    });
    afterAll(async () => {
      await rig?.close();
      await etcd?.close();
    });

    /**
     * Waits until the edge no longer routes the host: with its last endpoint gone, a label route
     * goes too, so the host is unknown (404).
     */
    const edgeStopsRouting = () =>
      eventually(async () => expect((await get(rig.edge.url, rig.host)).status).toBe(404), 15_000);

    it('SIGKILL: its keys expire with the lease and the edge stops routing there', async () => {
      const killed = Date.now();
      await rig.bridge.kill('SIGKILL');
      await eventually(async () => expect((await rig.registered()).size).toBe(0), TTL_MS + 5_000);
      const expiredMs = Date.now() - killed;
      await edgeStopsRouting();
      const edgeStoppedMs = Date.now() - killed;

      const restarted = Date.now();
      rig.startBridge();
      await rig.waitRegistered();
      const reregisteredMs = Date.now() - restarted;
      await rig.waitServedByAll();
      recordResult({
        scenario: 'bridge-sigkill',
        load: 'probe requests through the edge',
        fault: 'bridge SIGKILL (TTL 3 s), then a new bridge started',
        requestsSent: 0,
        requestsFailed: 0,
        failures: {},
        registrationsLost: 0,
        measured: {
          keysExpiredAfterKillMs: expiredMs,
          edgeAnswers404AfterKillMs: edgeStoppedMs,
          reregisteredAfterRestartMs: reregisteredMs,
        },
      });
      // The lease TTL, give or take etcd's expiry tick and our polling.
      expect(expiredMs).toBeGreaterThan(TTL_MS - 1_000);
      expect(expiredMs).toBeLessThan(TTL_MS + 2_500);
    });

    it('cut off from etcd longer than its TTL: keys expire, then come back on heal', async () => {
      const bridge = rig.bridge;
      const pid = bridge.child.pid!;
      // SIGSTOP freezes the process: no keep-alives, exactly as a partition looks to etcd.
      process.kill(pid, 'SIGSTOP');
      const cut = Date.now();
      let healedMs = Number.NaN;
      let expiredMs = Number.NaN;
      try {
        await eventually(async () => expect((await rig.registered()).size).toBe(0), TTL_MS + 5_000);
        expiredMs = Date.now() - cut;
        await edgeStopsRouting();
        // Stay cut a little longer than it took to expire.
        await new Promise((resolve) => setTimeout(resolve, faultMs(1_000, 1_000, 20_000)));
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      const healed = Date.now();
      await rig.waitRegistered();
      healedMs = Date.now() - healed;
      await rig.waitServedByAll();
      recordResult({
        scenario: 'bridge-partition',
        load: 'probe requests through the edge',
        fault: 'bridge frozen (SIGSTOP) past its 3 s TTL, then thawed (SIGCONT)',
        requestsSent: 0,
        requestsFailed: 0,
        failures: {},
        registrationsLost: 0,
        measured: { keysExpiredAfterCutMs: expiredMs, registeredAgainAfterHealMs: healedMs },
      });
      expect(bridge.running).toBe(true);
      expect(healedMs, rig.dump()).toBeLessThan(5_000);
    });
  },
);
