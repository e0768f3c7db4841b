import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker } from '../bridge/support/demo-containers.js';
import { DATA_PLANES } from '../support/data-planes.js';
import { EtcdServer } from '../support/etcd-server.js';
import type { LoadReport } from '../support/steady-load.js';
import { eventually } from '../support/wait.js';
import { FaultRig, faultMs, loadFigures, recordResult, SCENARIO_TIMEOUT_MS } from './support/fault-rig.js';

describe('fault: docker stop of a replica under load', { timeout: SCENARIO_TIMEOUT_MS }, () => {
  let etcd: EtcdServer;
  let rig: FaultRig;

  beforeAll(async () => {
    etcd = await EtcdServer.start();
    // One edge per data plane on the same replicas: one fault, measured through every plane.
    rig = await FaultRig.start({
      scenario: 'replica-stop',
      etcd: [etcd.endpoint],
      replicas: 3,
      planes: DATA_PLANES,
    });
  });
  afterAll(async () => {
    await rig?.close();
    await etcd?.close();
  });

  it('drains the replica first and fails 0 requests on every plane', async () => {
    const [stopped, ...kept] = rig.names as [string, ...string[]];
    const loads = rig.startLoads();
    const reports = new Map<string, LoadReport>();
    // Watch the stopped replica's key: it must turn draining before it disappears.
    const history = await rig.client.watch().key(rig.keyOf(stopped)).create();
    const states: string[] = [];
    history.on('put', (kv) => states.push((JSON.parse(kv.value.toString()) as { state: string }).state));
    history.on('delete', () => states.push('deleted'));
    try {
      for (const load of loads.values()) await eventually(() => expect(load.sent).toBeGreaterThan(200));
      await docker.getContainer(stopped).stop({ t: 10 });
      await rig.waitRegistered(kept);
      // Traffic continues on the replicas left for a while after the key went away.
      for (const load of loads.values()) {
        const until = load.sent + faultMs(500, 300, 5_000);
        await eventually(() => expect(load.sent).toBeGreaterThan(until), 60_000);
      }
    } finally {
      for (const [plane, load] of loads) reports.set(plane, await load.stop());
      await history.cancel();
    }
    for (const [plane, report] of reports) {
      recordResult({
        scenario: plane === 'builtin' ? 'replica-stop' : `replica-stop-${plane}`,
        load: `4 keep-alive loops, ~5 ms apart, through the ${plane} edge to 3 wharf/demo replicas`,
        fault: 'docker stop of one replica (SIGTERM; demo keeps serving 300 ms, then exits)',
        ...loadFigures(report),
        registrationsLost: 0,
        measured: {},
      });
    }
    expect(states[0], rig.dump()).toBe('draining');
    expect(states.at(-1)).toBe('deleted');
    for (const [plane, report] of reports) {
      expect({ plane, failures: report.failures }).toEqual({ plane, failures: {} });
      expect(Object.keys(report.servedBy).sort()).toEqual([...rig.names].sort());
    }
  });
});
