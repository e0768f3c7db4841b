import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA_PLANES, dataPlaneEnv } from '../support/data-planes.js';
import { EtcdServer } from '../support/etcd-server.js';
import type { LoadReport } from '../support/steady-load.js';
import { eventually } from '../support/wait.js';
import { FaultRig, faultMs, loadFigures, recordResult, SCENARIO_TIMEOUT_MS } from './support/fault-rig.js';

describe.each(DATA_PLANES)(
  'fault: redeploy of the only replica (docker rm -f, docker run) under load (%s)',
  { timeout: SCENARIO_TIMEOUT_MS },
  (dataplane) => {
    let etcd: EtcdServer;
    let rig: FaultRig;

    beforeAll(async () => {
      etcd = await EtcdServer.start();
      rig = await FaultRig.start({
        scenario: 'redeploy',
        etcd: [etcd.endpoint],
        replicas: 1,
        // The edge's defaults: the route is held 30 s, requests wait up to 10 s on it.
        edgeEnv: { ...dataPlaneEnv(dataplane), WHARF_ROUTE_GRACE: '30s' },
      });
    });
    afterAll(async () => {
      await rig?.close();
      await etcd?.close();
    });

    it(
      dataplane === 'builtin'
        ? 'answers every GET: no 404 and no failure while the replacement starts'
        : 'answers no 404 while the replacement starts, and every 503 with Retry-After',
      async () => {
        const [name] = rig.names as [string];
        // A request may be held for the whole WHARF_ROUTE_WAIT (10 s): the client waits longer.
        const load = rig.startLoad({ timeoutMs: 15_000 });
        let report: LoadReport;
        let gapMs = 0;
        try {
          await eventually(() => expect(load.sent).toBeGreaterThan(200));
          const removed = Date.now();
          await rig.containers.remove(name);
          await rig.startContainer(name);
          await rig.waitRegistered([name]);
          gapMs = Date.now() - removed;
          const until = load.sent + faultMs(500, 300, 5_000);
          await eventually(() => expect(load.sent).toBeGreaterThan(until), 60_000);
        } finally {
          report = await load.stop();
        }
        recordResult({
          scenario: 'redeploy',
          load: '4 keep-alive loops, ~5 ms apart, through the edge to the only wharf/demo replica',
          fault: 'docker rm -f of the replica, then docker run of a new one with the same name and labels',
          ...loadFigures(report),
          registrationsLost: 0,
          measured: { replacementRegisteredAfterMs: gapMs, slowestRequestMs: report.slowestMs },
        });
        if (dataplane === 'builtin') {
          expect(report.failures, rig.dump()).toEqual({});
          return;
        }
        // HAProxy cannot hold a request whose endpoint failed under it until the replacement
        // registers (edge README, "Held routes"): requests in flight on the killed replica may
        // fail. Never a 404 for the host that was just serving, and every 503 says when to retry.
        expect(report.failures['404'], rig.dump()).toBeUndefined();
        expect(report.failures['503 without Retry-After'], rig.dump()).toBeUndefined();
        expect(report.failed, rig.dump()).toBeLessThan(report.sent / 20);
      },
    );
  },
);
