import { setTimeout as sleep } from 'node:timers/promises';
import { createEtcdClient, KeyLayout } from '@wharf/core';
import { describe, expect, it, onTestFailed } from 'vitest';
import { putEndpoint, TestBackend } from '../edge/support/backends.js';
import { EdgeProcess } from '../edge/support/edge-process.js';
import { Blackhole } from '../support/blackhole.js';
import { DATA_PLANES, dataPlaneEnv } from '../support/data-planes.js';
import { EtcdServer } from '../support/etcd-server.js';
import { SteadyLoad } from '../support/steady-load.js';
import { eventually } from '../support/wait.js';
import { loadFigures, recordResult, SCENARIO_TIMEOUT_MS, SOAK } from './support/fault-rig.js';

const CONNECT_TIMEOUT_MS = 1_000;

/** The edge's log lines (pino JSON) with a given message about a given backend. */
function logLines(log: string, message: string, backend: string): unknown[] {
  return log
    .split('\n')
    .filter((line) => line.includes(`"msg":"${message}"`) && line.includes(`"backend":"${backend}"`))
    .map((line) => JSON.parse(line) as unknown);
}

describe.each(DATA_PLANES)('fault: a backend host vanishes without a reset (%s)', (dataplane) => {
  it(
    'moves requests off it within the connect timeout, ejects it (logged once), and takes it back after',
    { timeout: SCENARIO_TIMEOUT_MS },
    async () => {
      const layout = new KeyLayout(`/wharf-rel-vanish-${process.pid}`);
      const etcd = await EtcdServer.start();
      const client = createEtcdClient({ endpoints: [etcd.endpoint] });
      const backends = await Promise.all(
        ['vanish-a', 'vanish-b', 'vanish-c'].map((name) => TestBackend.start(name)),
      );
      const [, , lost] = backends as [TestBackend, TestBackend, TestBackend];
      const lostKey = `127.0.0.1:${lost.port}`;
      let edge: EdgeProcess | undefined;
      let hole: Blackhole | undefined;
      onTestFailed(() => console.error(edge?.log ?? '(edge not started)'));
      try {
        // The records stay: nothing expires them, so only the edge's own detection can help.
        for (const backend of backends)
          await putEndpoint(client, layout, 'vanish', `n1:${backend.name}:80`, backend.port, {
            host: 'vanish.test',
          });
        edge = await EdgeProcess.start({
          etcd: etcd.endpoint,
          prefix: layout.prefix,
          env: {
            ...dataPlaneEnv(dataplane),
            WHARF_CONNECT_TIMEOUT: `${CONNECT_TIMEOUT_MS}ms`,
            WHARF_EJECTION_TIME: '2s',
          },
        });
        const load = SteadyLoad.start({ url: edge.url, host: 'vanish.test' });
        await eventually(() => {
          expect(load.sent).toBeGreaterThan(200);
          expect(Object.keys(load.servedByNow).sort()).toEqual(['vanish-a', 'vanish-b', 'vanish-c']);
        }, 20_000);

        hole = await Blackhole.drop(lost.port);
        const cutAt = Date.now();
        const running = edge;
        await eventually(() =>
          expect(logLines(running.log, 'backend ejected', lostKey).length).toBeGreaterThan(0),
        );
        const ejectedMs = Date.now() - cutAt;
        // Traffic goes on around the vanished host while its first ejection runs out and it is
        // probed (and ejected) again. HAProxy keeps a down server down while its checks fail:
        // one ejection, held until a check connects.
        const ejectionsBeforeReturn = dataplane === 'builtin' ? (SOAK ? 4 : 2) : 1;
        await eventually(
          () =>
            expect(logLines(running.log, 'backend ejected', lostKey).length).toBeGreaterThanOrEqual(
              ejectionsBeforeReturn,
            ),
          60_000,
        );
        if (dataplane === 'haproxy') await sleep(3_000);
        await hole.restore();
        const servedBeforeReturn = load.servedByNow['vanish-c'] ?? 0;
        await eventually(() => {
          expect(logLines(running.log, 'backend answering again', lostKey)).toHaveLength(1);
          expect(load.servedByNow['vanish-c'] ?? 0).toBeGreaterThan(servedBeforeReturn);
        }, 20_000);
        const report = await load.stop();
        const ejections = logLines(running.log, 'backend ejected', lostKey);
        recordResult({
          scenario: 'host-vanish',
          load: '4 keep-alive loops, ~5 ms apart, through the edge to 3 backends',
          fault:
            'every packet to one backend dropped (iptables DROP: no reset, no ICMP), then let through again',
          ...loadFigures(report),
          registrationsLost: 0,
          measured: {
            ejectedAfterMs: ejectedMs,
            slowestRequestMs: report.slowestMs,
            ejections: ejections.length,
          },
        });
        // ≤ 0.1 % failed idempotent requests; none held much past the connect timeout and a retry.
        // Requests already sent to it on reused connections are cut at its ejection and sent
        // elsewhere (HAProxy: on-marked-down shutdown-sessions, then an L7 retry).
        expect(report.failed).toBeLessThanOrEqual(report.sent * 0.001);
        expect(report.slowestMs).toBeLessThan(CONNECT_TIMEOUT_MS + 1_500);
        expect(ejectedMs).toBeLessThan(CONNECT_TIMEOUT_MS + 2_000);
        // Logged once per ejection, not once per failed request.
        expect(ejections.length).toBeGreaterThanOrEqual(1);
        expect(ejections.length).toBeLessThanOrEqual(4);
        // HAProxy's passive health counts a connect that timed out as an unsuccessful one.
        expect(ejections[0]).toMatchObject({
          reason: dataplane === 'builtin' ? 'connect_timeout' : 'connect_failed',
          endpoint: 'n1:vanish-c:80',
        });
      } finally {
        await hole?.restore();
        await edge?.kill();
        for (const backend of backends) await backend.close();
        client.close();
        await etcd.close();
      }
    },
  );
});
