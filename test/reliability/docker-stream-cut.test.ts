import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker } from '../bridge/support/demo-containers.js';
import { DockerSocketProxy } from '../bridge/support/docker-socket-proxy.js';
import { EtcdServer } from '../support/etcd-server.js';
import { eventually } from '../support/wait.js';
import { FaultRig, faultMs, loadFigures, recordResult, SCENARIO_TIMEOUT_MS } from './support/fault-rig.js';

describe(
  'fault: the Docker event stream cut while containers change',
  { timeout: SCENARIO_TIMEOUT_MS },
  () => {
    let etcd: EtcdServer;
    let rig: FaultRig;
    const proxy = new DockerSocketProxy();

    beforeAll(async () => {
      etcd = await EtcdServer.start();
      await proxy.up();
      rig = await FaultRig.start({
        scenario: 'docker-cut',
        etcd: [etcd.endpoint],
        replicas: 2,
        bridgeEnv: { DOCKER_HOST: proxy.dockerHost },
      });
    });
    afterAll(async () => {
      await rig?.close();
      await proxy.close();
      await etcd?.close();
    });

    it('reconnects, resyncs and leaves 0 stale keys', async () => {
      // Containers on a side Host with no health check: only Docker can say they went away, so
      // nothing but the bridge's resync can remove their keys.
      const side = { ...rig.labels, 'wharf.http.host': 'side.rel.test', 'wharf.check': 'none' };
      const [stopped, added] = [`${rig.names[0]}-side-stopped`, `${rig.names[0]}-side-added`];
      await rig.containers.start(stopped, { labels: side });
      await rig.waitRegistered([...rig.names, stopped]);

      const load = rig.startLoad();
      let report: Awaited<ReturnType<typeof load.stop>>;
      let resyncMs = Number.NaN;
      try {
        await eventually(() => expect(load.sent).toBeGreaterThan(200));
        await proxy.down();
        await docker.getContainer(stopped).stop({ t: 2 });
        await rig.containers.start(added, { labels: side });
        // While the stream is cut, what is registered stays: the bridge does not guess.
        await new Promise((resolve) => setTimeout(resolve, faultMs(3_000, 3_000, 30_000)));
        expect([...(await rig.registered()).keys()]).toContain(rig.keyOf(stopped));
        expect(rig.bridge.running).toBe(true);

        await proxy.up();
        const healed = Date.now();
        await rig.waitRegistered([...rig.names, added]);
        resyncMs = Date.now() - healed;
        const until = load.sent + 200;
        await eventually(() => expect(load.sent).toBeGreaterThan(until));
      } finally {
        report = await load.stop();
      }
      const registered = await rig.registered();
      const stale = [...registered.keys()].filter((key) => key === rig.keyOf(stopped)).length;
      recordResult({
        scenario: 'docker-stream-cut',
        load: '4 keep-alive loops, ~5 ms apart, through the edge to 2 wharf/demo replicas',
        fault:
          'Docker socket proxy cut (connections dropped, new ones refused) for 3 s; meanwhile a container stopped and one started',
        ...loadFigures(report),
        registrationsLost: 0,
        measured: { resyncedAfterReconnectMs: resyncMs, staleKeys: stale },
      });
      expect(stale).toBe(0);
      expect(report.failures, rig.dump()).toEqual({});
    });
  },
);
