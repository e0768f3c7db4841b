import { aborted, LabelError, type Logger } from '@wharf/core';
import type { ContainerFacts } from './container-facts.js';
import type { ContainerEvent, DockerListener, DockerSource } from './docker-source.js';
import { type DeriveContext, type DesiredEndpoint, deriveEndpoints } from './endpoint-derivation.js';
import type { EndpointPublisher } from './endpoint-publisher.js';
import { HealthChecker } from './health-checker.js';
import { SerialQueue } from './serial-queue.js';
import type { UpdateCommands } from './updates/update-commands.js';

interface TrackedEndpoint {
  readonly desired: DesiredEndpoint;
  /** Everything that, when changed, needs a fresh checker. */
  readonly signature: string;
  readonly checker: HealthChecker;
  /** Stops this endpoint's checker. */
  readonly stop: AbortController;
}

interface TrackedContainer {
  readonly id: string;
  /** Set by Docker's kill/stop; cleared when the container starts again. */
  stopping: boolean;
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

export interface ContainerTrackerOptions {
  readonly source: Pick<DockerSource, 'inspect' | 'listRunning'>;
  readonly context: DeriveContext;
  /** Sidecar mode: the one container (name or id) to follow. */
  readonly target: string | undefined;
  readonly publisher: Pick<EndpointPublisher, 'update' | 'remove'>;
  /** Update commands (`wharf.requires` + `wharf.on-change`): told about each container as it is now, and when it goes. */
  readonly updates?: Pick<UpdateCommands, 'observe' | 'forget'>;
  /** After each Docker resync but the first: the registry should be read back too. */
  readonly onResynced: () => void;
  /** The root logger: checkers take their own `{ component }` child of it. */
  readonly logger: Logger;
}

/**
 * The first stage of the bridge's pipeline, fed by Docker (it is the source's listener): events
 * and listings go into one serial queue per container; each job re-inspects the container,
 * re-derives what it should publish (level-triggered), keeps one health checker per endpoint
 * and hands each endpoint's state forward to the publisher, and each container's labels to update
 * commands. It never sees etcd.
 */
export class ContainerTracker implements DockerListener {
  readonly #options: ContainerTrackerOptions;
  readonly #logger: Logger;
  readonly #containers = new Map<string, TrackedContainer>();
  /** Last configuration warning per container, so each bad label is reported once. */
  readonly #warned = new Map<string, string>();
  readonly #queue: SerialQueue;
  #resyncs = 0;
  #onFirstSync: () => void = () => {};
  /** Resolves once Docker has been listed and every container derived. */
  readonly synced: Promise<void>;
  /** Aborted when the bridge stops: every checker stops with it. */
  readonly #stopping = new AbortController();
  /** Every checker still running, replaced ones included, so that stopping waits for all. */
  readonly #checkers = new Set<Promise<void>>();

  constructor(options: ContainerTrackerOptions) {
    this.#options = options;
    this.#logger = options.logger.child({ component: 'bridge' });
    this.#queue = new SerialQueue((containerId, error) =>
      this.#logger.error({ err: error, containerId }, 'container update failed'),
    );
    this.synced = new Promise((resolve) => {
      this.#onFirstSync = resolve;
    });
  }

  /** Runs until `signal` aborts; then lets queued jobs finish and stops every health checker. */
  async run(signal: AbortSignal): Promise<void> {
    await aborted(signal);
    await this.#queue.idle();
    this.#stopping.abort();
    await Promise.all(this.#checkers);
  }

  onEvent(event: ContainerEvent): void {
    const action = event.action.startsWith('health_status') ? 'health_status' : event.action;
    if (action !== 'health_status' && !RELEVANT.has(action)) return;
    // A tracked container is followed even under a new name (a rename takes it out of scope).
    if (!this.#containers.has(event.id) && !this.#isTarget(event.id, event.attributes.name)) return;
    this.#logger.debug({ containerId: event.id, action: event.action }, 'docker event');
    const terminating =
      action === 'stop' || (action === 'kill' && TERMINATING.has(event.attributes.signal ?? ''));
    void this.#queue.enqueue(event.id, () => this.#apply(event.id, action, terminating));
  }

  /** Lists what runs (subscribed already) and re-derives each container. */
  async onResync(): Promise<void> {
    const { source, target } = this.#options;
    let ids: string[];
    if (target !== undefined) {
      const found = await source.inspect(target);
      ids = found?.running ? [found.id] : [];
    } else {
      ids = await source.listRunning();
    }
    const seen = new Set(ids);
    for (const id of this.#containers.keys()) if (!seen.has(id)) ids.push(id);
    await Promise.all(ids.map((id) => this.#queue.enqueue(id, () => this.#apply(id, 'resync', false))));
    this.#logger.info({ containers: seen.size, tracked: this.#containers.size }, 'docker resynced');
    if (this.#resyncs > 0) this.#options.onResynced();
    this.#resyncs += 1;
    this.#onFirstSync();
  }

  #isTarget(id: string, name: string | undefined): boolean {
    const target = this.#options.target;
    if (target === undefined) return true;
    return name === target || id === target || (target.length >= 12 && id.startsWith(target));
  }

  async #apply(id: string, action: string, terminating: boolean): Promise<void> {
    const tracked = this.#containers.get(id);
    if (terminating) {
      // Fast path: the record turns draining before the process has even got the signal's effect.
      if (tracked && !tracked.stopping) {
        tracked.stopping = true;
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
    const facts = await this.#options.source.inspect(id);
    if (!facts || !facts.running || !this.#isTarget(facts.id, facts.name)) {
      this.#remove(id);
      return;
    }
    if (action === 'start' || action === 'restart' || action === 'unpause') {
      if (tracked) tracked.stopping = false;
    }
    let endpoints: readonly DesiredEndpoint[];
    try {
      const result = deriveEndpoints(facts, this.#options.context);
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
    this.#options.updates?.observe({
      id,
      name: facts.name,
      labels: facts.labels,
      publishes: endpoints.length > 0,
    });
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
    const container: TrackedContainer = previous ?? { id: facts.id, stopping: false, endpoints: new Map() };
    const next = new Map<string, TrackedEndpoint>();
    const started: TrackedEndpoint[] = [];
    for (const desired of endpoints) {
      const name = `${desired.service}/${desired.instanceId}`;
      const signature = JSON.stringify(desired);
      const existing = container.endpoints.get(name);
      if (existing && existing.signature === signature) {
        next.set(name, existing);
        continue;
      }
      existing?.stop.abort();
      const stop = new AbortController();
      const endpoint: TrackedEndpoint = {
        desired,
        signature,
        stop,
        checker: new HealthChecker({
          address: desired.address,
          port: desired.port,
          check: desired.check,
          logger: this.#options.logger.child({
            component: 'health-checker',
            container: facts.name,
            instanceId: desired.instanceId,
          }),
          onChange: () => this.#publish(container, endpoint),
        }),
      };
      next.set(name, endpoint);
      started.push(endpoint);
    }
    for (const [name, endpoint] of container.endpoints) {
      if (next.has(name)) continue;
      endpoint.stop.abort();
      this.#options.publisher.remove(endpoint.desired);
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
      endpoint.checker.setDockerStatus(facts.health);
    }
    for (const endpoint of started) {
      const running = endpoint.checker.run(AbortSignal.any([this.#stopping.signal, endpoint.stop.signal]));
      this.#checkers.add(running);
      void running.finally(() => this.#checkers.delete(running));
    }
  }

  #publish(container: TrackedContainer, endpoint: TrackedEndpoint): void {
    // A checker of a container no longer tracked (or replaced) has nothing to say.
    if (this.#containers.get(container.id) !== container || endpoint.stop.signal.aborted) return;
    this.#options.publisher.update({
      desired: endpoint.desired,
      health: endpoint.checker.status,
      healthSince: endpoint.checker.since,
      stopping: container.stopping,
    });
  }

  #remove(id: string): void {
    // Also containers that publish nothing and are not tracked here (consumers only).
    this.#options.updates?.forget(id);
    const container = this.#containers.get(id);
    if (!container) return;
    this.#containers.delete(id);
    for (const endpoint of container.endpoints.values()) {
      endpoint.stop.abort();
      this.#options.publisher.remove(endpoint.desired);
    }
    this.#logger.info({ containerId: id, endpoints: container.endpoints.size }, 'container deregistered');
  }
}
