import Docker from 'dockerode';

export const docker = new Docker({ socketPath: '/var/run/docker.sock' });

export interface DemoOptions {
  readonly labels?: Record<string, string>;
  readonly env?: string[];
  /** Private ports published on 127.0.0.1 with random host ports; default [8080]. */
  readonly publish?: number[];
  readonly healthIntervalMs?: number;
}

/** Creates and starts a wharf/demo container; names are tracked so `removeAll` cleans up. */
export class DemoContainers {
  readonly #names = new Set<string>();

  async start(name: string, options: DemoOptions = {}): Promise<Docker.Container> {
    const publish = options.publish ?? [8080];
    const container = await docker.createContainer({
      name,
      Image: 'wharf/demo',
      Labels: options.labels ?? {},
      Env: [`INSTANCE=${name}`, 'SHUTDOWN_DELAY_MS=300', ...(options.env ?? [])],
      ExposedPorts: Object.fromEntries(publish.map((port) => [`${port}/tcp`, {}])),
      HostConfig: {
        PortBindings: Object.fromEntries(
          publish.map((port) => [`${port}/tcp`, [{ HostIp: '127.0.0.1', HostPort: '' }]]),
        ),
      },
      ...(options.healthIntervalMs
        ? {
            Healthcheck: {
              Interval: options.healthIntervalMs * 1e6,
              StartPeriod: 0,
              Retries: 1,
              Timeout: 1e9,
            },
          }
        : {}),
    });
    this.#names.add(name);
    await container.start();
    return container;
  }

  async hostPort(name: string, privatePort = 8080): Promise<number> {
    const info = await docker.getContainer(name).inspect();
    const bindings = info.NetworkSettings.Ports[`${privatePort}/tcp`] ?? [];
    return Number(bindings[0]?.HostPort);
  }

  async remove(name: string): Promise<void> {
    await docker
      .getContainer(name)
      .remove({ force: true })
      .catch(() => {});
    this.#names.delete(name);
  }

  async removeAll(): Promise<void> {
    await Promise.all([...this.#names].map((name) => this.remove(name)));
  }
}
