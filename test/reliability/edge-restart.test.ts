import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get } from '../edge/support/backends.js';
import { ChildProgram, PROGRAM_MAIN } from '../support/child-program.js';
import { DATA_PLANES, dataPlaneEnv } from '../support/data-planes.js';
import { EtcdServer } from '../support/etcd-server.js';
import { eventually } from '../support/wait.js';
import { FaultRig, loadFigures, recordResult, SCENARIO_TIMEOUT_MS } from './support/fault-rig.js';

describe('fault: edge SIGKILLed under load and restarted', { timeout: SCENARIO_TIMEOUT_MS }, () => {
  let etcd: EtcdServer;
  let rig: FaultRig;
  const restarted: ChildProgram[] = [];

  beforeAll(async () => {
    etcd = await EtcdServer.start();
    // One edge per data plane on the same replicas; each is killed and restarted in turn.
    rig = await FaultRig.start({
      scenario: 'edge-restart',
      etcd: [etcd.endpoint],
      replicas: 2,
      planes: DATA_PLANES,
    });
  });
  afterAll(async () => {
    for (const program of restarted) await program.kill();
    await rig?.close();
    await etcd?.close();
  });

  it.each(
    DATA_PLANES,
  )('serves again within 1 s of listening (cold sync), never from an empty table (%s plane)', async (plane) => {
    const edge = rig.edges.get(plane)!;
    let restartedLog = '';
    const load = rig.startLoad({}, plane);
    let report: Awaited<ReturnType<typeof load.stop>>;
    let firstResponseMs = Number.NaN;
    let readyMs = Number.NaN;
    let firstResponseAt = Number.NaN;
    try {
      await eventually(() => expect(load.sent).toBeGreaterThan(200));
      await edge.kill();

      // The same ports, so the load's clients reconnect to the new process.
      const started = Date.now();
      const program = new ChildProgram(PROGRAM_MAIN.edge, {
        env: {
          ...dataPlaneEnv(plane),
          PATH: process.env.PATH ?? '',
          WHARF_ETCD: rig.etcd.join(','),
          WHARF_PREFIX: rig.prefix,
          WHARF_LISTEN: `127.0.0.1:${edge.port}`,
          WHARF_TLS_LISTEN: 'off',
          WHARF_ADMIN_LISTEN: `127.0.0.1:${edge.adminPort}`,
          LOG_LEVEL: 'info',
        },
        onLine: (line) => {
          restartedLog += `${line}\n`;
        },
      });
      restarted.push(program);
      const ready = eventually(async () => {
        expect((await fetch(`http://127.0.0.1:${edge.adminPort}/readyz`)).status).toBe(200);
        readyMs = Date.now() - started;
      }, 10_000);
      await eventually(async () => {
        expect((await get(edge.url, rig.host)).status).toBe(200);
        firstResponseAt = Date.now();
        firstResponseMs = firstResponseAt - started;
      }, 10_000);
      await ready;
      const until = load.sent + 300;
      await eventually(() => expect(load.sent).toBeGreaterThan(until));
    } finally {
      report = await load.stop();
    }
    // Node's own start-up (loading modules) is not the sync; measure that from the moment the
    // new edge says it listens, by its own log clock.
    const listening = restartedLog
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg: string; time: number })
      .find((line) => line.msg === 'edge listening');
    const listeningToFirstResponseMs = listening ? firstResponseAt - listening.time : Number.NaN;
    recordResult({
      scenario: plane === 'builtin' ? 'edge-restart' : `edge-restart-${plane}`,
      load: `4 keep-alive loops, ~5 ms apart, through the ${plane} edge to 2 wharf/demo replicas`,
      fault: 'edge SIGKILLed (HAProxy dies with it), a new edge started on the same ports',
      ...loadFigures(report),
      registrationsLost: 0,
      measured: {
        processStartToFirstRoutedResponseMs: firstResponseMs,
        processStartToReadyMs: readyMs,
        listeningToFirstRoutedResponseMs: listeningToFirstResponseMs,
      },
    });
    const program = restarted.at(-1)!;
    expect(program.running, restartedLog).toBe(true);
    // While no edge listens, clients see connection errors; once one listens, it must not
    // answer from an empty table (a 404 for a host that exists is wrong, not just late).
    const answered = Object.keys(report.failures).filter((reason) => /^\d{3}$/.test(reason));
    expect(answered, JSON.stringify(report.samples)).toEqual([]);
    expect(listeningToFirstResponseMs).toBeLessThanOrEqual(1_000);
    expect(firstResponseMs).toBeLessThanOrEqual(2_000);
    expect((await program.stop('SIGTERM')).code).toBe(0);
  });
});
