import { isServing } from '@wharf/core';
import type { DesiredEndpoint } from './endpoint-derivation.js';
import { buildEndpointRecord } from './endpoint-record.js';
import type { HealthStatus } from './health-checker.js';
import type { EndpointName, RegistryWriter } from './registry-writer.js';

/** One endpoint as container tracking sees it: what it should be and how its check stands. */
export interface EndpointUpdate {
  readonly desired: DesiredEndpoint;
  readonly health: HealthStatus;
  /** When the check last changed (ISO time). */
  readonly healthSince: string;
  /** Docker reported kill or stop for its container: it shuts down. */
  readonly stopping: boolean;
}

export interface EndpointPublisherOptions {
  readonly writer: Pick<RegistryWriter, 'register' | 'deregister' | 'hold'>;
  readonly node: string;
  readonly bridgeId: string;
  /** Whether an operator drain (`wharf drain`) exists for this instance id. */
  readonly drained: (instanceId: string) => boolean;
  /** An endpoint of this container was published as serving (update commands' first run waits for it). */
  readonly onServing?: (containerId: string) => void;
  readonly now?: () => Date;
}

/**
 * The middle of the bridge's pipeline: takes endpoint updates from container tracking and operator
 * drains, turns each into the record to publish — its state decided by core's `isServing`, its
 * times kept fixed while nothing changes — and hands it to the registry writer. An endpoint whose
 * check has not answered yet is held (an earlier run's key stays); a failing one is withdrawn.
 */
export class EndpointPublisher {
  readonly #options: EndpointPublisherOptions;
  readonly #now: () => Date;
  /** The last update of each published endpoint, and when its key was first written. */
  readonly #endpoints = new Map<string, { update: EndpointUpdate; registeredAt: string | undefined }>();

  constructor(options: EndpointPublisherOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
  }

  /** States the endpoint as it is now; the writer drops what did not change. */
  update(update: EndpointUpdate): void {
    const { desired, health } = update;
    const name = nameOf(desired);
    const known = this.#endpoints.get(keyOf(name));
    // A new check (the container restarted, its settings changed) starts a new registration.
    const entry =
      known && known.update.desired === desired
        ? known
        : { update, registeredAt: undefined as string | undefined };
    entry.update = update;
    this.#endpoints.set(keyOf(name), entry);
    const { writer } = this.#options;
    if (health === 'unknown') {
      writer.hold(name);
      return;
    }
    if (health === 'failing') {
      entry.registeredAt = undefined;
      writer.deregister(name);
      return;
    }
    entry.registeredAt ??= this.#now().toISOString();
    const drained = this.#options.drained(desired.instanceId);
    const state = isServing({ state: update.stopping ? 'draining' : 'serving' }, drained)
      ? 'serving'
      : 'draining';
    writer.register(
      buildEndpointRecord(desired, {
        node: this.#options.node,
        bridgeId: this.#options.bridgeId,
        state,
        healthySince: update.healthSince,
        registeredAt: entry.registeredAt,
      }),
    );
    if (state === 'serving') this.#options.onServing?.(desired.container.id);
  }

  /** The endpoint is gone (its container stopped, or no longer publishes it). */
  remove(desired: DesiredEndpoint): void {
    const name = nameOf(desired);
    const known = this.#endpoints.get(keyOf(name));
    if (known && known.update.desired !== desired) return;
    this.#endpoints.delete(keyOf(name));
    this.#options.writer.deregister(name);
  }

  /** An operator drain of `instanceId` appeared or went away: its endpoints are stated again. */
  drainChanged(instanceId: string): void {
    for (const { update } of this.#endpoints.values()) {
      if (update.desired.instanceId === instanceId) this.update(update);
    }
  }
}

const nameOf = (desired: DesiredEndpoint): EndpointName => ({
  service: desired.service,
  id: desired.instanceId,
});
const keyOf = (name: EndpointName) => `${name.service}/${name.id}`;
