import { request } from 'node:http';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { aborted, type Logger } from '@wharf/core';
import type { CheckSpec } from './check-spec.js';

export type HealthStatus = 'unknown' | 'passing' | 'failing';

export interface HealthCheckerOptions {
  readonly address: string;
  readonly port: number;
  readonly check: CheckSpec;
  readonly logger: Logger;
  /** Called after each status change. */
  readonly onChange: (status: HealthStatus) => void;
  readonly now?: () => Date;
}

/**
 * Probes one endpoint on the exact address being published, every `interval`, and turns the
 * results into a status with rise/fall hysteresis. `docker` checks are fed from the container's
 * own HEALTHCHECK status (`setDockerStatus`); `none` passes at once. `run(signal)` probes until
 * the signal aborts; from then on the checker reports nothing, so a replaced one stays silent.
 */
export class HealthChecker {
  readonly #options: HealthCheckerOptions;
  readonly #now: () => Date;
  #status: HealthStatus = 'unknown';
  #since: string;
  #passes = 0;
  #failures = 0;
  #signal: AbortSignal | undefined;

  constructor(options: HealthCheckerOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
    this.#since = this.#now().toISOString();
  }

  get status(): HealthStatus {
    return this.#status;
  }

  /** When the status last changed (ISO time). */
  get since(): string {
    return this.#since;
  }

  /** Probes until `signal` aborts; resolves once the probe in flight has ended. Runs once. */
  async run(signal: AbortSignal): Promise<void> {
    if (this.#signal !== undefined) throw new Error('HealthChecker.run called twice');
    this.#signal = signal;
    if (signal.aborted) return;
    const { kind, intervalMs } = this.#options.check;
    if (kind === 'none') this.#set('passing');
    if (kind !== 'http' && kind !== 'tcp') {
      await aborted(signal);
      return;
    }
    while (!signal.aborted) {
      await this.#probe(signal);
      await sleep(intervalMs, undefined, { signal }).catch(() => {});
    }
  }

  /** Docker's `State.Health.Status` for `docker` checks: `healthy` passes, anything else fails. */
  setDockerStatus(status: string | undefined): void {
    if (this.#options.check.kind !== 'docker' || this.#stopped) return;
    this.#set(
      status === 'healthy' ? 'passing' : 'failing',
      status === 'healthy' ? undefined : `docker ${status}`,
    );
  }

  /** Feeds one probe result through rise/fall; exposed for tests. */
  record(passed: boolean, reason?: string): void {
    if (this.#stopped) return;
    const { rise, fall } = this.#options.check;
    if (passed) {
      this.#failures = 0;
      this.#passes += 1;
      if (this.#status !== 'passing' && this.#passes >= rise) this.#set('passing');
    } else {
      this.#passes = 0;
      this.#failures += 1;
      // A new endpoint is not published until it passes, so its first failure settles it.
      if (this.#status === 'unknown' || (this.#status === 'passing' && this.#failures >= fall)) {
        this.#set('failing', reason);
      }
    }
  }

  get #stopped(): boolean {
    return this.#signal?.aborted === true;
  }

  #set(status: HealthStatus, reason?: string): void {
    if (status === this.#status) return;
    this.#status = status;
    this.#since = this.#now().toISOString();
    const { address, port, check } = this.#options;
    const fields = { address, port, check: check.description, status, reason };
    if (status === 'passing') this.#options.logger.info(fields, 'check passing');
    else this.#options.logger.warn(fields, 'check failing');
    this.#options.onChange(status);
  }

  async #probe(signal: AbortSignal): Promise<void> {
    const { address, port, check } = this.#options;
    const failure =
      check.kind === 'http'
        ? await probeHttp(address, port, check.path ?? '/', check.timeoutMs, signal)
        : await probeTcp(address, port, check.timeoutMs, signal);
    this.record(failure === undefined, failure);
  }
}

/** Resolves to undefined when the endpoint answered 2xx/3xx, else to the reason. */
export function probeHttp(
  address: string,
  port: number,
  path: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = request(
      { host: address, port, path, method: 'GET', agent: false, timeout: timeoutMs, signal },
      (res) => {
        res.resume();
        const code = res.statusCode ?? 0;
        resolve(code >= 200 && code < 400 ? undefined : `status ${code}`);
        req.destroy();
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs}ms`)));
    req.on('error', (error) => resolve(error.message));
    req.end();
  });
}

/** Resolves to undefined when a TCP connection was accepted, else to the reason. */
export function probeTcp(
  address: string,
  port: number,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port, timeout: timeoutMs, ...(signal ? { signal } : {}) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('timeout', () => socket.destroy(new Error(`timed out after ${timeoutMs}ms`)));
    socket.once('error', (error) => resolve(error.message));
  });
}
