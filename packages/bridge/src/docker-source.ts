import { setTimeout as sleep } from 'node:timers/promises';
import { Backoff, type Logger, whenAborted } from '@wharf/core';
import type { ContainerFacts, PortFacts } from './container-config.js';
import type { ContainerInspect, DockerClient } from './docker-client.js';

/** One container event from the Docker Engine. */
export interface ContainerEvent {
  readonly id: string;
  readonly action: string;
  /** Actor attributes: the container's name, image, labels, and e.g. `signal` for `kill`. */
  readonly attributes: Readonly<Record<string, string>>;
}

export interface DockerSourceOptions {
  readonly docker: DockerClient;
  readonly logger: Logger;
  readonly onEvent: (event: ContainerEvent) => void;
  /**
   * Called after each (re)subscription, with events already flowing into `onEvent`: list the
   * containers and reconcile. A throw counts as a failed connection and is retried.
   */
  readonly onResync: () => Promise<void>;
  readonly backoff?: Backoff;
}

/**
 * The Docker Engine as the bridge sees it: a container event stream that reconnects forever
 * with capped, jittered backoff, plus list and inspect. It subscribes *before* each listing so
 * nothing that happens in between is missed.
 */
export class DockerSource {
  readonly #options: DockerSourceOptions;
  readonly #docker: DockerClient;
  readonly #logger: Logger;
  readonly #backoff: Backoff;

  constructor(options: DockerSourceOptions) {
    this.#options = options;
    this.#docker = options.docker;
    this.#logger = options.logger.child({ component: 'docker-source' });
    // A local socket is cheap to retry; a low cap gets events flowing soon after Docker returns.
    this.#backoff = options.backoff ?? new Backoff({ initialMs: 200, maxMs: 2_000 });
  }

  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.#subscribe(signal);
      } catch (error) {
        if (signal.aborted) break;
        const delayMs = this.#backoff.next();
        this.#logger.warn(
          { err: error, delayMs, attempt: this.#backoff.attempt },
          'docker event stream interrupted; reconnecting',
        );
        await sleep(delayMs, undefined, { signal }).catch(() => {});
      }
    }
  }

  async #subscribe(signal: AbortSignal): Promise<void> {
    const stream = await this.#docker.events({ type: ['container'] });
    let stopListening = () => {};
    try {
      const ended = new Promise<void>((resolve, reject) => {
        let buffered = '';
        stopListening = whenAborted(signal, () => {
          stream.destroy();
          resolve();
        });
        stream.on('data', (chunk: Buffer) => {
          buffered += chunk.toString();
          let newline = buffered.indexOf('\n');
          while (newline >= 0) {
            const line = buffered.slice(0, newline).trim();
            buffered = buffered.slice(newline + 1);
            if (line !== '') this.#emit(line);
            newline = buffered.indexOf('\n');
          }
        });
        stream.on('error', reject);
        stream.on('end', () => reject(new Error('docker event stream ended')));
        stream.on('close', () => reject(new Error('docker event stream closed')));
      });
      // Surface a stream failure during the resync instead of an unhandled rejection.
      ended.catch(() => {});
      this.#logger.info('docker event stream connected');
      await this.#options.onResync();
      this.#backoff.reset();
      await ended;
    } finally {
      stopListening();
      stream.removeAllListeners();
      stream.on('error', () => {});
      stream.destroy();
    }
  }

  #emit(line: string): void {
    let event: {
      Type?: string;
      Action?: string;
      Actor?: { ID?: string; Attributes?: Record<string, string> };
    };
    try {
      event = JSON.parse(line);
    } catch {
      this.#logger.warn({ line: line.slice(0, 200) }, 'skipping unreadable docker event');
      return;
    }
    if (event.Type !== 'container' || !event.Actor?.ID || !event.Action) return;
    this.#options.onEvent({
      id: event.Actor.ID,
      action: event.Action,
      attributes: event.Actor.Attributes ?? {},
    });
  }

  /** The daemon's name (`docker info` → Name), the default node name. */
  async daemonName(): Promise<string> {
    const info = await this.#docker.info();
    if (!info.Name) throw new Error('docker info returned no Name');
    return info.Name;
  }

  /** Ids of running containers. */
  async listRunning(): Promise<string[]> {
    const containers = await this.#docker.listContainers();
    return containers.map((container) => container.Id);
  }

  /** The container's facts, or undefined when it no longer exists. */
  async inspect(idOrName: string): Promise<ContainerFacts | undefined> {
    try {
      return containerFacts(await this.#docker.inspect(idOrName));
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
  }
}

/** Maps `docker inspect` output to what the bridge uses. Pure. */
export function containerFacts(info: ContainerInspect): ContainerFacts {
  const ports = new Map<string, PortFacts>();
  const addPort = (spec: string) => {
    const [number, protocol] = spec.split('/');
    const privatePort = Number(number);
    if (!Number.isInteger(privatePort) || (protocol !== 'tcp' && protocol !== 'udp')) return undefined;
    const existing = ports.get(spec);
    if (existing) return existing;
    const port: PortFacts = { privatePort, protocol, bindings: [] };
    ports.set(spec, port);
    return port;
  };
  for (const spec of Object.keys(info.Config?.ExposedPorts ?? {})) addPort(spec);
  const published = info.NetworkSettings?.Ports ?? {};
  for (const [spec, bindings] of Object.entries(published)) {
    const port = addPort(spec);
    if (!port || !bindings) continue;
    for (const binding of bindings) {
      const hostPort = Number(binding.HostPort);
      // Built here and never shared, so the readonly view can be filled in place.
      if (hostPort > 0)
        (port.bindings as { hostIp: string; hostPort: number }[]).push({
          hostIp: binding.HostIp ?? '',
          hostPort,
        });
    }
  }
  const networks = Object.entries(info.NetworkSettings?.Networks ?? {}).map(([name, network]) => ({
    name,
    ip: network?.IPAddress ?? '',
  }));
  return {
    id: info.Id,
    name: info.Name.replace(/^\//, ''),
    image: info.Config?.Image ?? info.Image,
    labels: info.Config?.Labels ?? {},
    env: info.Config?.Env ?? [],
    running: info.State?.Running === true && info.State?.Paused !== true,
    ports: [...ports.values()].sort((a, b) => a.privatePort - b.privatePort),
    networks,
    health: info.State?.Health?.Status,
  };
}
