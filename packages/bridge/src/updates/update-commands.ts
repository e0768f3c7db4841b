import { addressesVariable, formatAddresses, LabelError, type Logger } from '@wharf/core';
import { DependencyWatcher, type ServiceSets } from './dependency-watcher.js';
import type { ExecOutcome, ExecRequest } from './exec-runner.js';
import { readUpdateSettings, type UpdateSettings } from './update-settings.js';

/** A running container as the bridge sees it, with what update commands need. */
export interface UpdateTarget {
  readonly id: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** It publishes endpoints: its first run waits until one is registered. */
  readonly publishes: boolean;
}

interface Target {
  readonly id: string;
  readonly name: string;
  readonly settings: UpdateSettings;
}

/** Schedules `run` after `ms`; returns the function that cancels it. Injectable for tests. */
export type Schedule = (run: () => void, ms: number) => () => void;

export interface UpdateCommandsOptions {
  readonly watch: ServiceSets;
  readonly exec: { run(request: ExecRequest): Promise<ExecOutcome> };
  readonly logger: Logger;
  /** Quiet time after a change before the command runs, so a deploy's burst costs one run. */
  readonly debounceMs?: number;
  readonly schedule?: Schedule;
}

interface Tracked {
  readonly target: Target;
  readonly signature: string;
  registered: boolean;
  /** The environment the last successful run got; undefined before the first. */
  applied: string | undefined;
  /** Services whose set changed since the last successful run. */
  readonly changed: Set<string>;
  cancelTimer: (() => void) | undefined;
  running: boolean;
  /** A change arrived while the command ran: run again when it is done. */
  again: boolean;
}

const defaultSchedule: Schedule = (run, ms) => {
  const timer = setTimeout(run, ms);
  timer.unref();
  return () => clearTimeout(timer);
};

/**
 * Update commands (`wharf.requires` + `wharf.on-change`): when the serving set of a service a
 * container requires changes, run its command inside it with the sets in its environment
 * (`WHARF_<SERVICE>_ADDRS`, and `WHARF_CHANGED` naming the services that changed). Debounced,
 * one run at a time per container (a change during a run queues one more), each bounded by its
 * timeout; a container's command never waits for another's. A failed or timed-out run is
 * logged and the next change runs the command again. The first run comes once the container's
 * endpoint is registered, or at once for a container that only consumes.
 */
export class UpdateCommands {
  readonly #options: UpdateCommandsOptions;
  readonly #logger: Logger;
  readonly #dependencies: DependencyWatcher;
  readonly #containers = new Map<string, Tracked>();
  /** The last label problem reported per container, so each is logged once. */
  readonly #warned = new Map<string, string>();
  readonly #runs = new Set<Promise<void>>();
  readonly #stop = new AbortController();
  readonly #schedule: Schedule;
  readonly #debounceMs: number;

  constructor(options: UpdateCommandsOptions) {
    this.#options = options;
    this.#logger = options.logger.child({ component: 'update-commands' });
    this.#schedule = options.schedule ?? defaultSchedule;
    this.#debounceMs = options.debounceMs ?? 250;
    this.#dependencies = new DependencyWatcher({
      watch: options.watch,
      logger: options.logger,
      onChange: (service) => this.#dependencyChanged(service),
    });
  }

  /**
   * A container as it is now (start, resync, any event): followed when its labels ask for an
   * update command. Bad labels are logged once per container and value; nothing else happens.
   */
  observe(container: UpdateTarget): void {
    if (this.#stop.signal.aborted) return;
    let settings: UpdateSettings | undefined;
    try {
      settings = readUpdateSettings(container.labels);
      this.#warned.delete(container.id);
    } catch (error) {
      if (!(error instanceof LabelError)) throw error;
      const warned = this.#warned.get(container.id);
      this.forget(container.id);
      this.#warned.set(container.id, error.message);
      if (warned === error.message) return;
      this.#logger.warn(
        { container: container.name, label: error.label, value: error.value, code: error.code, err: error },
        'update command not set up: invalid label',
      );
      return;
    }
    const signature = JSON.stringify(settings ?? null);
    const known = this.#containers.get(container.id);
    if (known?.signature === signature) {
      if (!container.publishes && !known.registered) this.#registered(known);
      return;
    }
    if (known) this.forget(container.id);
    if (settings?.command === undefined) return;
    const target: Target = { id: container.id, name: container.name, settings };
    const tracked: Tracked = {
      target,
      signature,
      registered: !container.publishes,
      applied: undefined,
      changed: new Set(target.settings.requires),
      cancelTimer: undefined,
      running: false,
      again: false,
    };
    this.#containers.set(target.id, tracked);
    for (const service of settings.requires) this.#dependencies.acquire(service);
    this.#logger.info(
      { container: target.name, requires: settings.requires, waitsForRegistration: container.publishes },
      'following dependencies',
    );
    this.#plan(tracked);
  }

  /** An endpoint of the container is registered (serving): its first run may go. */
  registered(containerId: string): void {
    const tracked = this.#containers.get(containerId);
    if (tracked && !tracked.registered) this.#registered(tracked);
  }

  /** The container is gone (died, destroyed, out of scope): stop following it. */
  forget(containerId: string): void {
    this.#warned.delete(containerId);
    const tracked = this.#containers.get(containerId);
    if (!tracked) return;
    this.#containers.delete(containerId);
    tracked.cancelTimer?.();
    for (const service of tracked.target.settings.requires) this.#dependencies.release(service);
  }

  /** Stops following everything; a run in progress stops being waited for. Idempotent. */
  async close(): Promise<void> {
    this.#stop.abort();
    for (const id of [...this.#containers.keys()]) this.forget(id);
    await this.#dependencies.close();
    await Promise.all(this.#runs);
  }

  #registered(tracked: Tracked): void {
    tracked.registered = true;
    this.#plan(tracked);
  }

  #dependencyChanged(service: string): void {
    for (const tracked of this.#containers.values()) {
      if (!tracked.target.settings.requires.includes(service)) continue;
      tracked.changed.add(service);
      this.#plan(tracked);
    }
  }

  /** Schedules a run after the quiet time, once the container may run and every set is known. */
  #plan(tracked: Tracked): void {
    if (!tracked.registered || this.#environment(tracked) === undefined) return;
    if (tracked.running) {
      tracked.again = true;
      return;
    }
    tracked.cancelTimer?.();
    tracked.cancelTimer = this.#schedule(() => {
      tracked.cancelTimer = undefined;
      const run = this.#run(tracked).finally(() => this.#runs.delete(run));
      this.#runs.add(run);
    }, this.#debounceMs);
  }

  /** `WHARF_<SERVICE>_ADDRS=…` per required service, or undefined while a set is not read yet. */
  #environment(tracked: Tracked): string[] | undefined {
    const env: string[] = [];
    for (const service of tracked.target.settings.requires) {
      const set = this.#dependencies.set(service);
      if (set === undefined) return undefined;
      env.push(`${addressesVariable(service)}=${formatAddresses(set)}`);
    }
    return env;
  }

  async #run(tracked: Tracked): Promise<void> {
    const env = this.#environment(tracked);
    if (env === undefined || this.#containers.get(tracked.target.id) !== tracked) return;
    const fingerprint = env.join('\n');
    // A record rewritten without a change of address (a health timestamp) changes no set.
    if (fingerprint === tracked.applied) {
      tracked.changed.clear();
      return;
    }
    const changed = [...tracked.changed];
    tracked.changed.clear();
    tracked.running = true;
    const { target } = tracked;
    const started = performance.now();
    const outcome = await this.#options.exec.run({
      containerId: target.id,
      command: target.settings.command as readonly string[],
      env: [...env, `WHARF_CHANGED=${changed.join(',')}`],
      timeoutMs: target.settings.timeoutMs,
      signal: this.#stop.signal,
    });
    tracked.running = false;
    const fields = { container: target.name, changed, ms: Math.round(performance.now() - started) };
    if (outcome.kind === 'exited' && outcome.exitCode === 0) {
      tracked.applied = fingerprint;
      this.#logger.info({ ...fields, exitCode: 0 }, 'update command ran');
    } else {
      // Retried with the next change: the services stay marked as changed.
      for (const service of changed) tracked.changed.add(service);
      if (this.#stop.signal.aborted) return;
      if (outcome.kind === 'exited')
        this.#logger.warn(
          { ...fields, exitCode: outcome.exitCode, output: outcome.output },
          'update command failed',
        );
      else if (outcome.kind === 'timeout')
        this.#logger.warn(
          { ...fields, timeoutMs: target.settings.timeoutMs, output: outcome.output },
          'update command timed out; left running in the container',
        );
      else this.#logger.warn({ ...fields, err: outcome.error }, 'update command could not run');
    }
    if (tracked.again) {
      tracked.again = false;
      this.#plan(tracked);
    }
  }
}
