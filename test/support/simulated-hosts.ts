import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { DockerCommandError, docker } from './docker-cli.js';
import { HOST_IMAGE, SimulatedHost } from './simulated-host.js';

/** The label on every host and network of one group; its value is the group's name. */
const GROUP_LABEL = 'wharf.simulated-hosts';

export interface SimulatedHostsOptions {
  /**
   * Names everything: the network is `<name>`, the hosts `<name>-h1` … (host names `h1` …
   * inside). Default: `wharf-hosts-<random>`.
   */
  readonly name?: string;
  readonly count: number;
  /** Images every host gets: `docker save` once, `docker load` into all hosts at once. */
  readonly images?: readonly string[];
  /** More labels on the network and every host (run.sh marks its stack with one). */
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * Several simulated Docker hosts on one network made for them: each with its own `dockerd`, its
 * own address and its own published ports (see `SimulatedHost`). `close()` — or leaving an
 * `await using` block — removes the hosts (their storage with them), their cgroups and the network.
 */
export class SimulatedHosts implements AsyncDisposable {
  readonly name: string;
  readonly hosts: SimulatedHost[];
  #closed: Promise<void> | undefined;

  private constructor(name: string, hosts: SimulatedHost[]) {
    this.name = name;
    this.hosts = hosts;
  }

  static async start(options: SimulatedHostsOptions): Promise<SimulatedHosts> {
    const name = options.name ?? `wharf-hosts-${randomBytes(3).toString('hex')}`;
    await requireHostImage();
    const labels = { ...options.labels, [GROUP_LABEL]: name };
    const group = new SimulatedHosts(name, []);
    try {
      await docker(['network', 'create', ...labelArgs(labels), name]);
      const started = await Promise.allSettled(
        Array.from({ length: options.count }, (_, index) =>
          SimulatedHost.start({
            container: `${name}-h${index + 1}`,
            name: `h${index + 1}`,
            network: name,
            labels,
          }),
        ),
      );
      for (const result of started) if (result.status === 'fulfilled') group.hosts.push(result.value);
      const failed = started.find((result) => result.status === 'rejected');
      if (failed) throw failed.reason;
      if (options.images?.length) await group.loadImages(options.images);
      return group;
    } catch (error) {
      // Hosts that never answered are not in `hosts`; remove by label so nothing is left.
      await removeGroup(name).catch(() => {});
      throw error;
    }
  }

  /** The group `name` if its hosts exist (running or not), e.g. one `./run.sh up --hosts N` left. */
  static async find(name: string): Promise<SimulatedHosts | undefined> {
    const containers = (
      await docker(['ps', '-a', '--filter', `label=${GROUP_LABEL}=${name}`, '--format', '{{.Names}}'])
    )
      .split('\n')
      .filter(Boolean)
      .sort();
    if (containers.length === 0) return undefined;
    return new SimulatedHosts(
      name,
      await Promise.all(containers.map((container) => SimulatedHost.attach(container, name))),
    );
  }

  /** The host called `name` (`h1` …). */
  host(name: string): SimulatedHost {
    const host = this.hosts.find((candidate) => candidate.name === name);
    if (!host) throw new Error(`no simulated host ${name} in ${this.name}`);
    return host;
  }

  /** Every host but `host`. */
  others(host: SimulatedHost): SimulatedHost[] {
    return this.hosts.filter((candidate) => candidate !== host);
  }

  /** Cuts `host` off from every other host of the group (see `SimulatedHost.partition`). */
  partition(host: SimulatedHost): Promise<void> {
    return host.partition(this.others(host).map((other) => other.address));
  }

  /**
   * Loads images into every host: one `docker save` streamed into every host's `docker load`
   * at once (layers the images share travel once, and no copy lands on disk).
   */
  async loadImages(images: readonly string[], hosts: readonly SimulatedHost[] = this.hosts): Promise<void> {
    const save = spawn('docker', ['save', ...images], { stdio: ['ignore', 'pipe', 'pipe'] });
    const loads = hosts.map((host) =>
      spawn('docker', ['exec', '-i', host.container, 'docker', 'load', '--quiet'], {
        stdio: ['pipe', 'ignore', 'pipe'],
      }),
    );
    for (const load of loads) {
      // A host that dies mid-load must fail its own load, not crash the stream for the others.
      load.stdin.on('error', () => {});
      save.stdout.pipe(load.stdin);
    }
    await Promise.all([
      exited(save, ['save', ...images]),
      ...loads.map((load, index) => exited(load, ['exec', hosts[index]!.container, 'docker', 'load'])),
    ]);
  }

  /** Removes every host (with its cgroups) and the network. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= removeGroup(this.name);
    return this.#closed;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

async function requireHostImage(): Promise<void> {
  try {
    await docker(['image', 'inspect', '--format', '{{.Id}}', HOST_IMAGE]);
  } catch (error) {
    throw new Error(`image ${HOST_IMAGE} is missing: build it with docker/build-images.sh all`, {
      cause: error,
    });
  }
}

async function removeGroup(name: string): Promise<void> {
  const group = await SimulatedHosts.find(name);
  await Promise.all((group?.hosts ?? []).map((host) => host.remove()));
  await docker(['network', 'rm', name]).catch((error: Error) => {
    if (!/not found|No such network/i.test(error.message)) throw error;
  });
}

function labelArgs(labels: Readonly<Record<string, string>>): string[] {
  return Object.entries(labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]);
}

function exited(child: ReturnType<typeof spawn>, args: readonly string[]): Promise<void> {
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new DockerCommandError(args, code, stderr)),
    );
  });
}
