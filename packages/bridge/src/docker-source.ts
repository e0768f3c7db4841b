import { type BackoffOptions, type Logger, Supervisor, whenAborted } from '@wharf/core';
import { type ContainerFacts, containerFacts } from './container-facts.js';
import type { DockerClient } from './docker-client.js';

/** One container event from the Docker Engine. */
export interface ContainerEvent {
  readonly id: string;
  readonly action: string;
  /** Actor attributes: the container's name, image, labels, and e.g. `signal` for `kill`. */
  readonly attributes: Readonly<Record<string, string>>;
}

/** Where the source hands what Docker says. */
export interface DockerListener {
  readonly onEvent: (event: ContainerEvent) => void;
  /**
   * Called after each (re)subscription, with events already flowing into `onEvent`: list the
   * containers and reconcile. A throw counts as a failed connection and is retried.
   */
  readonly onResync: () => Promise<void>;
}

export interface DockerSourceOptions {
  readonly docker: DockerClient;
  readonly logger: Logger;
  readonly listener: DockerListener;
  readonly backoff?: BackoffOptions;
}

/**
 * The Docker Engine as the bridge sees it: a container event stream kept open by a `Supervisor`
 * (reconnecting with capped, jittered backoff), plus list and inspect. It subscribes *before*
 * each listing so nothing that happens in between is missed.
 */
export class DockerSource {
  readonly #docker: DockerClient;
  readonly #logger: Logger;
  readonly #listener: DockerListener;
  readonly #backoff: BackoffOptions;

  constructor(options: DockerSourceOptions) {
    this.#docker = options.docker;
    this.#logger = options.logger.child({ component: 'docker-source' });
    this.#listener = options.listener;
    // A local socket is cheap to retry; a low cap gets events flowing soon after Docker returns.
    this.#backoff = options.backoff ?? { initialMs: 200, maxMs: 2_000 };
  }

  async run(signal: AbortSignal): Promise<void> {
    await new Supervisor({
      task: ({ signal: running, healthy }) => this.#subscribe(running, healthy),
      logger: this.#logger,
      message: 'docker event stream interrupted; reconnecting',
      backoff: this.#backoff,
    }).run(signal);
  }

  /** The daemon's name (`docker info` → Name), the default node name; retried until Docker answers. */
  daemonName(signal: AbortSignal): Promise<string | undefined> {
    return new Supervisor({
      task: async () => {
        const info = await this.#docker.info();
        if (!info.Name) throw new Error('docker info returned no Name');
        return info.Name;
      },
      logger: this.#logger,
      message: 'docker unreachable; retrying',
      backoff: this.#backoff,
    }).run(signal);
  }

  async #subscribe(signal: AbortSignal, healthy: () => void): Promise<void> {
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
      await this.#listener.onResync();
      healthy();
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
    this.#listener.onEvent({
      id: event.Actor.ID,
      action: event.Action,
      attributes: event.Actor.Attributes ?? {},
    });
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
