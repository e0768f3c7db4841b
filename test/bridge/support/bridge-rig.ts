import { afterAll, afterEach, beforeAll } from 'vitest';
import { EtcdServer } from '../../support/etcd-server.js';
import { BridgeProcess } from './bridge-process.js';
import { DemoContainers } from './demo-containers.js';
import { RegistryProbe } from './registry.js';

export interface BridgeRigOptions {
  /** `WHARF_NODE` of every bridge the rig starts. */
  readonly node: string;
  /** `WHARF_TTL` unless a test says otherwise. */
  readonly ttl: string;
  /** Delete everything under `/wharf/` after each test (tests that share keys need it). */
  readonly clearAfterEach?: boolean;
  /** Receives the etcd server and registry probe once they are up (assign them to the block's lets). */
  readonly onStart: (started: { etcd: EtcdServer; registry: RegistryProbe }) => void;
}

export interface BridgeRig {
  readonly containers: DemoContainers;
  /** A bridge process on the rig's etcd, killed after the test; `env` adds or overrides settings. */
  startBridge(env?: Record<string, string>): BridgeProcess;
}

/**
 * What every bridge suite needs for its `describe`: a real etcd, a registry probe, demo containers
 * and bridge processes, all removed after each test (bridges, containers) or after the suite. A
 * failing test prints the logs of the bridges it started.
 */
export function useBridgeRig(options: BridgeRigOptions): BridgeRig {
  const containers = new DemoContainers();
  const bridges: BridgeProcess[] = [];
  let etcd: EtcdServer | undefined;
  let registry: RegistryProbe | undefined;

  beforeAll(async () => {
    etcd = await EtcdServer.start();
    registry = new RegistryProbe(etcd.endpoint);
    options.onStart({ etcd, registry });
  });
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail') for (const bridge of bridges) console.error(bridge.dump());
    await Promise.all(bridges.splice(0).map((bridge) => bridge.kill('SIGKILL')));
    await containers.removeAll();
    if (options.clearAfterEach ?? true) await registry?.client.delete().prefix('/wharf/').exec();
  });
  afterAll(async () => {
    await containers.removeAll();
    registry?.close();
    await etcd?.close();
  });

  return {
    containers,
    startBridge(env = {}) {
      if (!etcd) throw new Error('startBridge before the rig started');
      const bridge = new BridgeProcess({
        WHARF_ETCD: etcd.endpoint,
        WHARF_NODE: options.node,
        WHARF_HOST_IP: '127.0.0.1',
        WHARF_TTL: options.ttl,
        ...env,
      });
      bridges.push(bridge);
      return bridge;
    },
  };
}
