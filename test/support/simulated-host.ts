import { readdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { docker } from './docker-cli.js';
import { poll } from './poll.js';

/** The image every simulated host runs (docker/build-images.sh all builds it). */
export const HOST_IMAGE = 'wharf-test/host';

/**
 * What a Docker Engine inside a container needs. Plain `--privileged` is not enough in every
 * sandbox (one capability it grants is refused), so the capabilities are listed one by one.
 */
const HOST_RUN_OPTIONS = [
  ...[
    'SYS_ADMIN',
    'NET_ADMIN',
    'NET_RAW',
    'SYS_PTRACE',
    'MKNOD',
    'SYS_CHROOT',
    'SETFCAP',
    'AUDIT_WRITE',
    'DAC_READ_SEARCH',
    'SYS_MODULE',
    'IPC_LOCK',
  ].flatMap((capability) => ['--cap-add', capability]),
  ...['seccomp=unconfined', 'apparmor=unconfined', 'systempaths=unconfined'].flatMap((option) => [
    '--security-opt',
    option,
  ]),
  // The inner engine's storage on a tmpfs: overlay2 cannot stack on the outer overlay but works
  // on tmpfs, and a host is then removed in a second instead of half a minute of deleting
  // image files from a volume. A stopped host therefore starts again empty.
  ...['--tmpfs', '/var/lib/docker:rw,exec,dev,suid', '--tmpfs', '/run'],
  // The machine's cgroup tree, under which the inner engine gets its own parent (see start).
  ...['-v', '/sys/fs/cgroup:/sys/fs/cgroup:rw'],
];

/** Where cgroup file systems are mounted on this machine (v1: one per controller; v2: one). */
const CGROUP_ROOT = '/sys/fs/cgroup';

/** iptables chain that a partition fills and a heal empties. */
const PARTITION_CHAIN = 'WHARF-PARTITION';

export interface HostSpec {
  /** Container name on the machine's Docker Engine; unique, also names the host's cgroup. */
  readonly container: string;
  /** Host name inside: the inner Docker Engine's name, so bridges' node name. */
  readonly name: string;
  readonly network: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface RunOptions {
  readonly env?: Readonly<Record<string, string>>;
  readonly labels?: Readonly<Record<string, string>>;
  /** `-p` specs, e.g. `8080` (any free port on every address of the host). */
  readonly publish?: readonly string[];
  /** `host` to share the host's network namespace (its address and ports). */
  readonly network?: string;
  /** `-v` specs. */
  readonly volumes?: readonly string[];
  /** Docker restart policy (`unless-stopped` for the demo, none in tests). */
  readonly restart?: string;
  /** Arguments after the image. */
  readonly command?: readonly string[];
  /** `--entrypoint`. */
  readonly entrypoint?: string;
  /** `--dns`: the resolver the container's resolv.conf names (see `bridgeGateway`). */
  readonly dns?: string;
}

/**
 * One simulated Docker host: a container on the machine's Docker Engine that runs its own
 * `dockerd`, with its own address on a network the caller created and its own published ports.
 * Containers run inside it with `run`; `kill` is a power loss; `partition` cuts it off.
 */
export class SimulatedHost {
  readonly container: string;
  readonly name: string;
  readonly network: string;
  #address: string;

  private constructor(container: string, name: string, network: string, address: string) {
    this.container = container;
    this.name = name;
    this.network = network;
    this.#address = address;
  }

  /** Starts the host and waits for its Docker Engine to answer. */
  static async start(spec: HostSpec): Promise<SimulatedHost> {
    await docker([
      'run',
      '-d',
      '--name',
      spec.container,
      '--hostname',
      spec.name,
      '--network',
      spec.network,
      ...Object.entries(spec.labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]),
      '--label',
      `wharf.simulated-host=${spec.name}`,
      ...HOST_RUN_OPTIONS,
      HOST_IMAGE,
      'dockerd',
      // Its own cgroup parent, so its containers never mix with the machine's or other hosts'.
      `--cgroup-parent=/${spec.container}`,
    ]);
    const host = new SimulatedHost(spec.container, spec.name, spec.network, '');
    await host.#waitForEngine();
    host.#address = await host.#readAddress();
    return host;
  }

  /** A host that already runs, e.g. one `./run.sh up --hosts N` started earlier. */
  static async attach(container: string, network: string): Promise<SimulatedHost> {
    const name = (
      await docker(['inspect', '-f', '{{index .Config.Labels "wharf.simulated-host"}}', container])
    ).trim();
    const host = new SimulatedHost(container, name, network, '');
    // A stopped host has no address; it can still be looked at and removed.
    host.#address = await host.#readAddress().catch(() => '');
    return host;
  }

  /** Its address on the network: where other hosts and this machine reach it. */
  get address(): string {
    return this.#address;
  }

  async #readAddress(): Promise<string> {
    const address = (
      await docker([
        'inspect',
        '-f',
        `{{with index .NetworkSettings.Networks "${this.network}"}}{{.IPAddress}}{{end}}`,
        this.container,
      ])
    ).trim();
    if (!address) throw new Error(`simulated host ${this.container} has no address on ${this.network}`);
    return address;
  }

  async #waitForEngine(): Promise<void> {
    await poll(() => this.docker(['version', '--format', '{{.Server.Version}}'], { timeoutMs: 5_000 }), {
      timeoutMs: 60_000,
      intervalMs: 200,
    }).catch(async (error: unknown) => {
      const state = await docker([
        'inspect',
        '-f',
        '{{.State.Status}}, exit code {{.State.ExitCode}} {{.State.Error}}',
        this.container,
      ]).catch(() => 'gone');
      throw new Error(
        `the Docker Engine in ${this.container} did not start (container ${state.trim()}):\n${await this.engineLog(30)}`,
        { cause: error },
      );
    });
  }

  /** Runs the host's own docker CLI (against its own engine). */
  docker(args: readonly string[], options: { input?: string; timeoutMs?: number } = {}): Promise<string> {
    return docker(
      ['exec', ...(options.input === undefined ? [] : ['-i']), this.container, 'docker', ...args],
      options,
    );
  }

  /** Runs a program on the host itself (not in one of its containers). */
  exec(command: readonly string[]): Promise<string> {
    return docker(['exec', this.container, ...command]);
  }

  /** `docker run -d` on this host; resolves with the container id. */
  async run(name: string, image: string, options: RunOptions = {}): Promise<string> {
    const args = [
      'run',
      '-d',
      '--name',
      name,
      ...(options.network ? ['--network', options.network] : []),
      ...(options.restart ? ['--restart', options.restart] : []),
      ...Object.entries(options.env ?? {}).flatMap(([key, value]) => ['-e', `${key}=${value}`]),
      ...Object.entries(options.labels ?? {}).flatMap(([key, value]) => ['--label', `${key}=${value}`]),
      ...(options.publish ?? []).flatMap((spec) => ['-p', spec]),
      ...(options.volumes ?? []).flatMap((spec) => ['-v', spec]),
      ...(options.entrypoint ? ['--entrypoint', options.entrypoint] : []),
      ...(options.dns ? ['--dns', options.dns] : []),
      image,
      ...(options.command ?? []),
    ];
    return (await this.docker(args)).trim();
  }

  /** `docker stop` on this host: SIGTERM, then SIGKILL after `timeoutSeconds`. */
  async stop(name: string, timeoutSeconds = 10): Promise<void> {
    await this.docker(['stop', '-t', String(timeoutSeconds), name], {
      timeoutMs: (timeoutSeconds + 30) * 1_000,
    });
  }

  /**
   * The host port that `privatePort` of one of its containers is published on. Asked again for
   * a few seconds: right after `docker run`, a busy engine can answer before it has published it.
   */
  publishedPort(name: string, privatePort = 8080): Promise<number> {
    return poll(
      async () => {
        const output = await this.docker(['port', name, `${privatePort}/tcp`]);
        const port = Number(output.split('\n')[0]?.split(':').at(-1));
        if (!Number.isInteger(port) || port <= 0)
          throw new Error(`${name} on ${this.name} publishes no ${privatePort}`);
        return port;
      },
      { timeoutMs: 5_000, intervalMs: 200 },
    );
  }

  /**
   * The address of its default bridge network's gateway (docker0). A program in the host's
   * network that listens on 0.0.0.0 answers the host's containers from this address, so it is
   * the one their `--dns` must name: a resolver asked at another address drops the answers.
   */
  async bridgeGateway(): Promise<string> {
    // The engine's own view (`network inspect bridge`) names no gateway for the default network.
    const shown = await this.exec(['ip', '-4', '-o', 'address', 'show', 'dev', 'docker0']);
    const gateway = /\binet (\S+)\//.exec(shown)?.[1];
    if (!gateway) throw new Error(`docker0 on ${this.name} has no IPv4 address: ${shown.trim()}`);
    return gateway;
  }

  /**
   * The last lines one of its containers logged: both streams, or only standard output or
   * standard error, and only the lines matching `pattern` (an extended regular expression).
   */
  logs(
    name: string,
    options: { lines?: number; stream?: 'stdout' | 'stderr'; pattern?: string } = {},
  ): Promise<string> {
    const redirect = { stdout: '2>/dev/null', stderr: '2>&1 >/dev/null', both: '2>&1' }[
      options.stream ?? 'both'
    ];
    const read = `docker logs ${name} ${redirect}`;
    const matching = options.pattern ? ` | grep -E '${options.pattern}'` : '';
    return docker([
      'exec',
      this.container,
      'sh',
      '-c',
      `${read}${matching} | tail -n ${options.lines ?? 50}`,
    ]).catch((error: Error) => `(no logs of ${name} on ${this.name}: ${error.message})`);
  }

  /** The last lines its Docker Engine logged. */
  engineLog(lines = 50): Promise<string> {
    return docker(['logs', '--tail', String(lines), this.container]).catch(
      (error: Error) => `(no engine log of ${this.container}: ${error.message})`,
    );
  }

  /** Power loss: SIGKILL the whole host, its engine and every container in it, without a goodbye. */
  async kill(): Promise<void> {
    await docker(['kill', this.container]);
  }

  /**
   * Cuts the host off from `peers` (addresses): every packet to or from them is dropped, on the
   * host itself and for its containers, established connections included — a cable cut, not a
   * reset. Everything else (this machine, say) still reaches it.
   */
  async partition(peers: readonly string[]): Promise<void> {
    const rules = peers.flatMap((peer) => [
      `iptables -A ${PARTITION_CHAIN} -s ${peer} -j DROP`,
      `iptables -A ${PARTITION_CHAIN} -d ${peer} -j DROP`,
    ]);
    await this.exec([
      'sh',
      '-ec',
      [
        `iptables -N ${PARTITION_CHAIN} 2>/dev/null || iptables -F ${PARTITION_CHAIN}`,
        ...rules,
        // First in each chain, ahead of the rules Docker adds for published ports.
        ...['INPUT', 'OUTPUT', 'FORWARD'].map(
          (chain) =>
            `iptables -C ${chain} -j ${PARTITION_CHAIN} 2>/dev/null || iptables -I ${chain} 1 -j ${PARTITION_CHAIN}`,
        ),
      ].join('\n'),
    ]);
  }

  /** Ends a partition. */
  async heal(): Promise<void> {
    await this.exec(['sh', '-c', `iptables -F ${PARTITION_CHAIN} 2>/dev/null || true`]);
  }

  /** Removes the host (its storage goes with it) and its cgroups. Idempotent. */
  async remove(): Promise<void> {
    await docker(['rm', '-f', '-v', this.container]).catch((error: Error) => {
      if (!/No such container/i.test(error.message)) throw error;
    });
    await removeCgroups(this.container);
  }
}

/**
 * Deletes the (empty) cgroups the host's engine made under `/<container>` in every hierarchy.
 * They outlive the host, and cgroup directories can only be removed one by one, deepest first.
 */
async function removeCgroups(parent: string): Promise<void> {
  const hierarchies = await readdir(CGROUP_ROOT, { withFileTypes: true }).catch(() => []);
  const roots = [
    join(CGROUP_ROOT, parent),
    ...hierarchies
      .filter((entry) => entry.isDirectory())
      .map((entry) => join(CGROUP_ROOT, entry.name, parent)),
  ];
  for (const root of roots) {
    // Processes of a killed host can take a moment to leave their cgroups.
    await poll(() => removeTree(root), { timeoutMs: 5_000, intervalMs: 100 }).catch((error: Error) =>
      console.warn(`could not remove cgroup ${root}: ${error.message}`),
    );
  }
}

async function removeTree(directory: string): Promise<void> {
  const entries = await readdir(directory, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!entries) return;
  for (const entry of entries) if (entry.isDirectory()) await removeTree(join(directory, entry.name));
  await rmdir(directory).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}
