import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EtcdServer } from '../support/etcd-server.js';
import { eventually } from '../support/wait.js';
import { useBridgeRig } from './support/bridge-rig.js';
import { QuietDocker } from './support/quiet-docker.js';

/** Longer than any idle timeout on the way: Node ≥ 19's default agent closes sockets idle for 5 s. */
const IDLE_MS = 8_000;
/** pino's level number for warnings; errors and fatals are above it. */
const WARN = 40;

describe('wharf-bridge on a quiet Docker host', () => {
  let _etcd: EtcdServer;
  const docker = new QuietDocker();
  const { startBridge } = useBridgeRig({
    node: `quiet-${process.pid}`,
    ttl: '5s',
    onStart: (started) => {
      _etcd = started.etcd;
    },
  });
  beforeAll(() => docker.start());
  afterAll(() => docker.close());

  it('keeps one event stream open through a long silence: one connect, one resync, no warnings', async () => {
    const bridge = startBridge({ DOCKER_HOST: docker.dockerHost });
    await eventually(() => expect(bridge.find('registry in sync')).toHaveLength(1), 15_000);
    await sleep(IDLE_MS);
    expect(bridge.running).toBe(true);
    expect(bridge.find('docker event stream connected')).toHaveLength(1);
    expect(bridge.find('docker resynced')).toHaveLength(1);
    expect(docker.subscriptions).toBe(1);
    expect(bridge.logs.filter((line) => line.level >= WARN)).toEqual([]);
  });
});
