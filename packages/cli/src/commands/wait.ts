import {
  addressesVariable,
  assertValidName,
  ConfigError,
  clashingServices,
  type EndpointRecord,
  EtcdUnavailableError,
  formatAddresses,
  formatDuration,
  parseDuration,
  WharfError,
  watchService,
} from '@wharf/core';
import type { CommandContext } from '../command-context.js';

/** The services were not all serving enough endpoints in time. */
export class WaitTimeoutError extends WharfError {
  constructor(message: string) {
    super('WHARF_WAIT_TIMEOUT', message);
  }
}

/** Ctrl-C or SIGTERM before the services were ready. */
export class WaitInterruptedError extends WharfError {
  constructor() {
    super('WHARF_WAIT_INTERRUPTED', 'interrupted before the services were ready');
  }
}

export interface WaitOptions {
  /** Serving endpoints each service needs (`--min`, at least 1). */
  readonly min: number;
  /** How long to wait (`--timeout`); 0: no limit. */
  readonly timeoutMs: number;
}

/** Parses `--min` and `--timeout` as given on the command line. */
export function parseWaitOptions(flags: { min?: string; timeout?: string }): WaitOptions {
  const min = Number(flags.min ?? '1');
  if (!/^\d{1,6}$/.test(flags.min ?? '1') || min < 1)
    throw new ConfigError('--min', flags.min, 'a whole number of endpoints, 1 or more');
  const timeoutMs = parseDuration(flags.timeout ?? '60s');
  if (timeoutMs === undefined)
    throw new ConfigError('--timeout', flags.timeout, 'a duration such as 30s or 2m (0: no limit)');
  return { min, timeoutMs };
}

/**
 * Where the services stand: the serving endpoints of each, once etcd has been read for it. Pure,
 * so what `wharf wait` reports is tested without etcd.
 */
export class WaitProgress {
  readonly #services: readonly string[];
  readonly #min: number;
  readonly #sets = new Map<string, readonly EndpointRecord[]>();

  constructor(services: readonly string[], min: number) {
    this.#services = services;
    this.#min = min;
  }

  /** Records the set of `service`. */
  update(service: string, endpoints: readonly EndpointRecord[]): void {
    this.#sets.set(service, endpoints);
  }

  get done(): boolean {
    return this.#services.every((service) => this.#ready(service));
  }

  /** True once etcd has answered for at least one service. */
  get reachedEtcd(): boolean {
    return this.#sets.size > 0;
  }

  endpoints(service: string): readonly EndpointRecord[] {
    return this.#sets.get(service) ?? [];
  }

  /** What is still missing, one phrase per service: `db has 1 of 2 serving endpoints`. */
  missing(): string[] {
    return this.#services
      .filter((service) => !this.#ready(service))
      .map((service) => {
        const set = this.#sets.get(service);
        if (set === undefined) return `${service} was never read from etcd`;
        return `${service} has ${set.length} of ${this.#min} serving endpoint${this.#min === 1 ? '' : 's'}`;
      });
  }

  /** `WHARF_<SERVICE>_ADDRS` for every service, as update commands get them. */
  environment(): Record<string, string> {
    return Object.fromEntries(
      this.#services.map((service) => [addressesVariable(service), formatAddresses(this.endpoints(service))]),
    );
  }

  #ready(service: string): boolean {
    return (this.#sets.get(service)?.length ?? -1) >= this.#min;
  }
}

/**
 * `wharf wait <service>… [--min N] [--timeout D]`: returns once every service has at least N
 * serving endpoints (core's `watchService`: serving and not drained by an operator), with the
 * `WHARF_<SERVICE>_ADDRS` variables a following command gets. Throws `WaitTimeoutError` naming
 * what was missing, or `EtcdUnavailableError` when etcd never answered.
 */
export async function waitCommand(
  context: CommandContext,
  services: readonly string[],
  options: WaitOptions,
  signal: AbortSignal,
): Promise<Record<string, string>> {
  const unique = [...new Set(services)];
  for (const service of unique) assertValidName('service name', service);
  const clash = clashingServices(unique);
  if (clash) {
    throw new ConfigError(
      'service',
      clash[1],
      `a service whose variable differs from ${clash[0]}'s (both are ${addressesVariable(clash[0])})`,
    );
  }
  const progress = new WaitProgress(unique, options.min);
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) stop.abort();
  let timedOut = false;
  const timer =
    options.timeoutMs > 0
      ? setTimeout(() => {
          timedOut = true;
          stop.abort();
        }, options.timeoutMs)
      : undefined;
  // One line per change, so an init service's log shows what it is waiting for.
  const report = (service: string) => {
    const endpoints = progress.endpoints(service);
    if (context.json) return;
    const addresses = formatAddresses(endpoints) || 'none';
    context.write(`${service}: ${endpoints.length} of ${options.min} serving (${addresses})\n`);
  };
  try {
    await Promise.all(
      unique.map(async (service) => {
        const sets = watchService(service, {
          client: context.client,
          layout: context.config.layout,
          signal: stop.signal,
          logger: context.logger,
        });
        for await (const endpoints of sets) {
          progress.update(service, endpoints);
          report(service);
          if (progress.done) stop.abort();
        }
      }),
    );
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  }
  if (progress.done) {
    if (context.json) {
      const ready = Object.fromEntries(
        unique.map((service) => [
          service,
          progress.endpoints(service).map((endpoint) => formatAddresses([endpoint])),
        ]),
      );
      context.write(`${JSON.stringify({ ready: true, services: ready })}\n`);
    }
    return progress.environment();
  }
  if (!timedOut) throw new WaitInterruptedError();
  const waited = formatDuration(options.timeoutMs);
  if (!progress.reachedEtcd) {
    throw new EtcdUnavailableError(
      `timed out after ${waited}: no answer from etcd at ${context.config.etcd.endpoints.join(', ')}`,
    );
  }
  throw new WaitTimeoutError(`timed out after ${waited}: ${progress.missing().join(', ')}`);
}
