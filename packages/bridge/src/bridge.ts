import { aborted, ConfigError, type EtcdStore, isValidName, type Logger, watchService } from '@wharf/core';
import type { BridgeConfig } from './config.js';
import { ContainerTracker } from './container-tracker.js';
import type { DockerClient } from './docker-client.js';
import { DockerSource } from './docker-source.js';
import { watchDrains } from './drain-watcher.js';
import { EndpointPublisher } from './endpoint-publisher.js';
import { chooseHostAddress, observeHost } from './host-address.js';
import { RegistryWriter } from './registry-writer.js';
import { ExecRunner } from './updates/exec-runner.js';
import { UpdateCommands } from './updates/update-commands.js';

export interface BridgeOptions {
  readonly config: BridgeConfig;
  readonly docker: DockerClient;
  readonly store: EtcdStore;
  readonly logger: Logger;
}

/**
 * wharf-bridge as a pipeline: Docker (`DockerSource`) → container tracking and health checks
 * (`ContainerTracker`) → records (`EndpointPublisher`, with the operator drains) → etcd
 * (`RegistryWriter`), with update commands (`UpdateCommands`) told by tracking and the publisher.
 * This class only resolves who the bridge is and wires the stages.
 */
export class Bridge {
  readonly #config: BridgeConfig;
  readonly #docker: DockerClient;
  readonly #store: EtcdStore;
  readonly #logger: Logger;

  constructor(options: BridgeOptions) {
    this.#config = options.config;
    this.#docker = options.docker;
    this.#store = options.store;
    this.#logger = options.logger;
  }

  async run(signal: AbortSignal): Promise<void> {
    const config = this.#config;
    const logger = this.#logger.child({ component: 'bridge' });
    let tracker: ContainerTracker | undefined;
    const source = new DockerSource({
      docker: this.#docker,
      logger: this.#logger,
      // Events and listings go to the tracker, which exists once the node name is known.
      listener: {
        onEvent: (event) => tracker?.onEvent(event),
        onResync: () => (tracker ? tracker.onResync() : Promise.resolve()),
      },
    });
    const node = config.node ?? (await source.daemonName(signal));
    if (node === undefined) return;
    if (!isValidName(node))
      throw new ConfigError('WHARF_NODE', node, 'set it: the Docker daemon name is not a valid node name');
    const bridgeId =
      config.bridgeId ?? (config.target ? `${node}-bridge-${config.target}` : `${node}-bridge`);
    if (!isValidName(bridgeId))
      throw new ConfigError('WHARF_BRIDGE_ID', bridgeId, 'a valid bridge id; set it explicitly');
    const host = chooseHostAddress(
      await observeHost({
        explicit: config.hostIp,
        internal: config.internal,
        etcdEndpoints: config.etcd.endpoints,
        networkModeOf: async (id) => (await this.#docker.inspect(id)).HostConfig?.NetworkMode,
      }),
    );
    const hostIp = host.address;
    logger.info(
      {
        node,
        bridgeId,
        mode: config.mode,
        target: config.target,
        hostIp,
        hostIpSource: host.source,
        internal: config.internal,
      },
      'bridge starting',
    );

    const writer = new RegistryWriter({
      store: this.#store,
      layout: config.layout,
      bridge: { id: bridgeId, node, mode: config.mode, target: config.target },
      ttlSeconds: config.ttlSeconds,
      logger: this.#logger,
    });
    const drains = watchDrains({
      store: this.#store,
      layout: config.layout,
      logger: this.#logger,
      // Drain changes arrive once the watcher runs, below, when the publisher exists.
      onChange: (instanceId) => publisher.drainChanged(instanceId),
    });
    // A stage beside the publisher: it follows the services containers require (core's prefix
    // watcher, through the bridge's own etcd client) and runs their update commands.
    const updates = new UpdateCommands({
      watch: (service, watchSignal) =>
        watchService(service, {
          client: this.#store,
          layout: config.layout,
          signal: watchSignal,
          logger: this.#logger,
        }),
      exec: new ExecRunner(this.#docker),
      logger: this.#logger,
    });
    const publisher = new EndpointPublisher({
      writer,
      node,
      bridgeId,
      drained: drains.isDrained,
      onServing: (containerId) => updates.registered(containerId),
    });
    tracker = new ContainerTracker({
      source,
      context: {
        node,
        hostIp,
        hostIpExplicit: config.hostIp !== undefined,
        internal: config.internal,
        network: config.network,
        explicit: config.mode === 'host' && config.explicit,
        overrides: config.overrides,
      },
      target: config.target,
      publisher,
      updates,
      onResynced: () => writer.resync(),
      logger: this.#logger,
    });

    const tracking = tracker.run(signal);
    const sourceDone = source.run(signal);
    const drainsDone = drains.watcher.run(signal);
    // Reconciling etcd before Docker was listed would delete keys of containers that still run.
    await Promise.race([tracker.synced, aborted(signal)]);
    const writerDone = signal.aborted ? Promise.resolve() : writer.run(signal);
    await Promise.all([sourceDone, drainsDone, tracking]);
    await updates.close();
    await writerDone;
    logger.info('bridge stopped');
  }
}
