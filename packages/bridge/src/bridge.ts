import { networkInterfaces } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  aborted,
  Backoff,
  ConfigError,
  type createEtcdClient,
  encodeRecord,
  isValidName,
  LabelError,
  type Logger,
  RECORD_VERSION,
  WHARF_VERSION,
  watchService,
} from '@wharf/core';
import type { BridgeConfig } from './config.js';
import {
  type ContainerFacts,
  type DeriveContext,
  type DesiredEndpoint,
  deriveEndpoints,
} from './container-config.js';
import type { DockerClient } from './docker-client.js';
import { type ContainerEvent, DockerSource } from './docker-source.js';
import { DrainWatcher } from './drain-watcher.js';
import { buildEndpointRecord } from './endpoint-record.js';
import { HealthChecker } from './health-checker.js';
import { detectHostIp } from './host-address.js';
import { RegistryWriter } from './registry-writer.js';
import { SerialQueue } from './serial-queue.js';
import { ExecRunner } from './updates/exec-runner.js';
import { UpdateCommands } from './updates/update-commands.js';

type Etcd = ReturnType<typeof createEtcdClient>;

export interface BridgeOptions {
  readonly config: BridgeConfig;
  readonly docker: DockerClient;
  readonly etcd: Etcd;
  readonly logger: Logger;
}

interface TrackedEndpoint {
  readonly key: string;
  readonly desired: DesiredEndpoint;
  /** Everything that, when changed, needs a fresh checker. */
  readonly signature: string;
  readonly checker: HealthChecker;
  registeredAt: string | undefined;
}

interface TrackedContainer {
  readonly id: string;
  /** Set by Docker's kill/stop; cleared when the container starts again. */
  draining: boolean;
  endpoints: Map<string, TrackedEndpoint>;
}

/** Docker actions that can change what a container publishes; exec_* and the like are ignored. */
const RELEVANT = new Set([
  'start',
  'restart',
  'unpause',
  'pause',
  'kill',
  'stop',
  'die',
  'destroy',
  'update',
  'rename',
]);
/** kill signals that end the container; others (HUP, USR1…) are reloads and change nothing. */
const TERMINATING = new Set([
  '',
  '2',
  '3',
  '9',
  '15',
  'SIGINT',
  'SIGQUIT',
  'SIGKILL',
  'SIGTERM',
  'INT',
  'QUIT',
  'KILL',
  'TERM',
]);

/**
 * Orchestrates the bridge: Docker events and listings feed a per-container serial queue; each
 * job re-derives the container's desired endpoints (level-triggered), keeps one health checker
 * per endpoint, and states the result to the registry writer, which diffs against etcd.
 */
export class Bridge {
  readonly #config: BridgeConfig;
  readonly #docker: DockerClient;
  readonly #etcd: Etcd;
  /** The root logger: each part takes its own `{ component }` child of it. */
  readonly #root: Logger;
  readonly #logger: Logger;
  readonly #containers = new Map<string, TrackedContainer>();
  /** Last configuration warning per container, so each bad label is reported once. */
  readonly #warned = new Map<string, string>();
  readonly #queue: SerialQueue;
  #writer: RegistryWriter | undefined;
  #drains: DrainWatcher | undefined;
  /** Update commands (`wharf.requires` + `wharf.on-change`): a stage of its own, told what happens here. */
  #updates: UpdateCommands | undefined;
  #source: DockerSource | undefined;
  #context: DeriveContext | undefined;
  #bridgeId = '';
  #synced = false;
  #onFirstSync: () => void = () => {};

  constructor(options: BridgeOptions) {
    this.#config = options.config;
    this.#docker = options.docker;
    this.#etcd = options.etcd;
    this.#root = options.logger;
    this.#logger = options.logger.child({ component: 'bridge' });
    this.#queue = new SerialQueue((containerId, error) =>
      this.#logger.error({ err: error, containerId }, 'container update failed'),
    );
  }

  async run(signal: AbortSignal): Promise<void> {
    const config = this.#config;
    const source = new DockerSource({
      docker: this.#docker,
      logger: this.#root,
      onEvent: (event) => this.#onEvent(event),
      onResync: () => this.#resync(),
    });
    this.#source = source;
    const node = config.node ?? (await this.#daemonName(source, signal));
    if (node === undefined) return;
    if (!isValidName(node))
      throw new ConfigError('WHARF_NODE', node, 'set it: the Docker daemon name is not a valid node name');
    const bridgeId =
      config.bridgeId ?? (config.target ? `${node}-bridge-${config.target}` : `${node}-bridge`);
    if (!isValidName(bridgeId))
      throw new ConfigError('WHARF_BRIDGE_ID', bridgeId, 'a valid bridge id; set it explicitly');
    this.#bridgeId = bridgeId;
    const hostIp = config.hostIp ?? detectHostIp(networkInterfaces());
    this.#context = {
      node,
      hostIp,
      hostIpExplicit: config.hostIp !== undefined,
      internal: config.internal,
      network: config.network,
      explicit: config.mode === 'host' && config.explicit,
      overrides: config.overrides,
    };
    this.#logger.info(
      { node, bridgeId, mode: config.mode, target: config.target, hostIp, internal: config.internal },
      'bridge starting',
    );

    const writer = new RegistryWriter({
      client: this.#etcd,
      layout: config.layout,
      bridgeId,
      ttlSeconds: config.ttlSeconds,
      logger: this.#root,
    });
    this.#writer = writer;
    writer.set(
      config.layout.bridgeKey(bridgeId),
      encodeRecord({
        v: RECORD_VERSION,
        node,
        mode: config.mode,
        target: config.target ?? null,
        version: WHARF_VERSION,
        startedAt: new Date().toISOString(),
      }),
    );
    const drains = new DrainWatcher({
      client: this.#etcd,
      layout: config.layout,
      logger: this.#root,
      onChange: (instanceId) => this.#onDrainChange(instanceId),
    });
    this.#drains = drains;
    this.#updates = new UpdateCommands({
      watch: (service, signal) =>
        watchService(service, { client: this.#etcd, layout: config.layout, signal, logger: this.#root }),
      exec: new ExecRunner(this.#docker),
      logger: this.#root,
    });

    const firstSync = new Promise<void>((resolve) => {
      this.#onFirstSync = resolve;
    });
    const sourceDone = source.run(signal);
    const drainsDone = drains.run(signal);
    // Reconciling etcd before Docker was listed would delete keys of containers that still run.
    await Promise.race([firstSync, aborted(signal)]);
    const writerDone = signal.aborted ? Promise.resolve() : writer.run(signal);
    await Promise.all([sourceDone, drainsDone]);
    await this.#queue.idle();
    await this.#updates?.close();
    for (const container of this.#containers.values())
      for (const endpoint of container.endpoints.values()) endpoint.checker.close();
    await writerDone;
    this.#logger.info('bridge stopped');
  }

  async #daemonName(source: DockerSource, signal: AbortSignal): Promise<string | undefined> {
    const backoff = new Backoff({ initialMs: 200, maxMs: 2_000 });
    while (!signal.aborted) {
      try {
        return await source.daemonName();
      } catch (error) {
        const delayMs = backoff.next();
        this.#logger.warn({ err: error, delayMs, attempt: backoff.attempt }, 'docker unreachable; retrying');
        await sleep(delayMs, undefined, { signal }).catch(() => {});
      }
    }
    return undefined;
  }

  #isTarget(id: string, name: string | undefined): boolean {
    const target = this.#config.target;
    if (target === undefined) return true;
    return name === target || id === target || (target.length >= 12 && id.startsWith(target));
  }

  #onEvent(event: ContainerEvent): void {
    const action = event.action.startsWith('health_status') ? 'health_status' : event.action;
    if (action !== 'health_status' && !RELEVANT.has(action)) return;
    // A tracked container is followed even under a new name (a rename takes it out of scope).
    if (!this.#containers.has(event.id) && !this.#isTarget(event.id, event.attributes.name)) return;
    this.#logger.debug({ containerId: event.id, action: event.action }, 'docker event');
    const terminating =
      action === 'stop' || (action === 'kill' && TERMINATING.has(event.attributes.signal ?? ''));
    void this.#queue.enqueue(event.id, () => this.#apply(event.id, action, terminating));
  }

  /** Lists what runs (subscribed already), re-derives each container, then reconciles etcd. */
  async #resync(): Promise<void> {
    const source = this.#source as DockerSource;
    let ids: string[];
    if (this.#config.target !== undefined) {
      const target = await source.inspect(this.#config.target);
      ids = target?.running ? [target.id] : [];
    } else {
      ids = await source.listRunning();
    }
    const seen = new Set(ids);
    for (const id of this.#containers.keys()) if (!seen.has(id)) ids.push(id);
    await Promise.all(ids.map((id) => this.#queue.enqueue(id, () => this.#apply(id, 'resync', false))));
    this.#logger.info({ containers: seen.size, tracked: this.#containers.size }, 'docker resynced');
    if (this.#synced) this.#writer?.resync();
    this.#synced = true;
    this.#onFirstSync();
  }

  async #apply(id: string, action: string, terminating: boolean): Promise<void> {
    const tracked = this.#containers.get(id);
    if (terminating) {
      // Fast path: the record turns draining before the process has even got the signal's effect.
      if (tracked && !tracked.draining) {
        tracked.draining = true;
        for (const endpoint of tracked.endpoints.values()) this.#publish(tracked, endpoint);
        this.#logger.info({ containerId: id, action }, 'container draining');
      }
      if (action === 'kill') return;
    }
    if (action === 'die' || action === 'destroy') {
      this.#warned.delete(id);
      this.#remove(id);
      return;
    }
    const facts = await (this.#source as DockerSource).inspect(id);
    if (!facts || !facts.running || !this.#isTarget(facts.id, facts.name)) {
      this.#remove(id);
      return;
    }
    if (action === 'start' || action === 'restart' || action === 'unpause') {
      if (tracked) tracked.draining = false;
    }
    let endpoints: readonly DesiredEndpoint[];
    try {
      const result = deriveEndpoints(facts, this.#context as DeriveContext);
      endpoints = result.endpoints;
      this.#warned.delete(id);
      if (result.skipped)
        this.#logger.debug({ container: facts.name, reason: result.skipped }, 'container skipped');
    } catch (error) {
      if (!(error instanceof LabelError)) throw error;
      this.#warnOnce(facts, error);
      this.#remove(id);
      return;
    }
    this.#updates?.observe({ id, name: facts.name, labels: facts.labels, publishes: endpoints.length > 0 });
    this.#update(facts, tracked, endpoints);
  }

  #warnOnce(facts: ContainerFacts, error: LabelError): void {
    if (this.#warned.get(facts.id) === error.message) return;
    this.#warned.set(facts.id, error.message);
    this.#logger.warn(
      {
        container: facts.name,
        containerId: facts.id,
        label: error.label,
        value: error.value,
        code: error.code,
        err: error,
      },
      'container not registered: invalid configuration',
    );
  }

  #update(
    facts: ContainerFacts,
    previous: TrackedContainer | undefined,
    endpoints: readonly DesiredEndpoint[],
  ): void {
    const layout = this.#config.layout;
    const container: TrackedContainer = previous ?? { id: facts.id, draining: false, endpoints: new Map() };
    const next = new Map<string, TrackedEndpoint>();
    for (const desired of endpoints) {
      const key = layout.endpointKey(desired.service, desired.instanceId);
      const signature = JSON.stringify(desired);
      const existing = container.endpoints.get(key);
      if (existing && existing.signature === signature) {
        next.set(key, existing);
        continue;
      }
      existing?.checker.close();
      const endpoint: TrackedEndpoint = {
        key,
        desired,
        signature,
        registeredAt: undefined,
        checker: new HealthChecker({
          address: desired.address,
          port: desired.port,
          check: desired.check,
          logger: this.#root.child({
            component: 'health-checker',
            container: facts.name,
            instanceId: desired.instanceId,
          }),
          onChange: () => this.#publish(container, endpoint),
        }),
      };
      next.set(key, endpoint);
    }
    for (const [key, endpoint] of container.endpoints) {
      if (next.has(key)) continue;
      endpoint.checker.close();
      this.#writer?.delete(key);
    }
    container.endpoints = next;
    if (next.size === 0) {
      this.#containers.delete(facts.id);
      return;
    }
    this.#containers.set(facts.id, container);
    for (const endpoint of next.values()) {
      // Level-triggered: restate every endpoint; the writer drops what did not change.
      this.#publish(container, endpoint);
      endpoint.checker.start();
      endpoint.checker.setDockerStatus(facts.health);
    }
  }

  #publish(container: TrackedContainer, endpoint: TrackedEndpoint): void {
    const writer = this.#writer;
    if (!writer || this.#containers.get(container.id) !== container) return;
    const status = endpoint.checker.status;
    if (status === 'unknown') {
      writer.hold(endpoint.key);
      return;
    }
    if (status === 'failing') {
      endpoint.registeredAt = undefined;
      writer.delete(endpoint.key);
      return;
    }
    endpoint.registeredAt ??= new Date().toISOString();
    const draining = container.draining || this.#drains?.has(endpoint.desired.instanceId) === true;
    const record = buildEndpointRecord(endpoint.desired, {
      node: (this.#context as DeriveContext).node,
      bridgeId: this.#bridgeId,
      state: draining ? 'draining' : 'serving',
      healthySince: endpoint.checker.since,
      registeredAt: endpoint.registeredAt,
    });
    writer.set(endpoint.key, encodeRecord(record));
    if (!draining) this.#updates?.registered(container.id);
  }

  #remove(id: string): void {
    this.#updates?.forget(id);
    const container = this.#containers.get(id);
    if (!container) return;
    this.#containers.delete(id);
    for (const endpoint of container.endpoints.values()) {
      endpoint.checker.close();
      this.#writer?.delete(endpoint.key);
    }
    this.#logger.info({ containerId: id, endpoints: container.endpoints.size }, 'container deregistered');
  }

  #onDrainChange(instanceId: string): void {
    for (const container of this.#containers.values()) {
      for (const endpoint of container.endpoints.values()) {
        if (endpoint.desired.instanceId === instanceId) this.#publish(container, endpoint);
      }
    }
  }
}
