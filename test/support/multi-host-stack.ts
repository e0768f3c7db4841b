import { randomBytes } from 'node:crypto';
import type { RoutesDocument } from '@wharf/edge';
import { type DataPlane, dataPlaneEnv } from './data-planes.js';
import { poll } from './poll.js';
import type { SimulatedHost } from './simulated-host.js';
import type { SimulatedHosts } from './simulated-hosts.js';
import type { TierContainer } from './three-tier.js';

export const ETCD_IMAGE = 'quay.io/coreos/etcd:v3.4.23';
/** The Host the demo replicas answer unless told otherwise. */
export const DEFAULT_HTTP_HOST = 'demo.localhost';
/** What every host needs loaded before `MultiHostStack.start`. */
export const STACK_IMAGES = [ETCD_IMAGE, 'wharf/bridge', 'wharf/edge', 'wharf/demo'] as const;

/** Ports inside every host (each host has its own address, so they never collide). */
export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;
export const EDGE_PORT = 8080;
export const EDGE_ADMIN_PORT = 9090;
/**
 * Every edge answers DNS for `wharf.` here, on every address of its host; the host's containers
 * ask it at their bridge network's gateway (`--dns`, see `SimulatedHost.bridgeGateway`).
 */
export const EDGE_DNS_PORT = 53;

/** Container names inside every host. */
const ETCD = 'wharf-etcd';
const BRIDGE = 'wharf-bridge';
const EDGE = 'wharf-edge';

export interface MultiHostStackOptions {
  /** The bridges' lease TTL (`WHARF_TTL`); default the bridge's own, `10s`. */
  readonly ttl?: string;
  /** Host name the demo replicas answer (`wharf.http.host`). */
  readonly httpHost?: string;
  /** Demo replicas to start on each host. */
  readonly replicasPerHost?: number;
  /** Docker restart policy for everything in the hosts (`unless-stopped` for the demo). */
  readonly restart?: string;
  /** Health-check interval of the demo replicas (`wharf.check.interval`). */
  readonly checkInterval?: string;
  /** The edges' `WHARF_UPSTREAM_TIMEOUT`; default the edge's own (60 s). */
  readonly upstreamTimeout?: string;
  /** Edges write an access log (`WHARF_ACCESS_LOG=stdout`), which `dump` searches. */
  readonly accessLog?: boolean;
  /** Host name → its edge's `WHARF_ZONE`. */
  readonly zones?: Readonly<Record<string, string>>;
  /** The edges' `WHARF_ROUTE_GRACE`: how long a host whose last endpoint went away stays held. */
  readonly routeGrace?: string;
  /** Host name → its edge's data plane; a host not named runs the image's default (HAProxy). */
  readonly planes?: Readonly<Record<string, DataPlane>>;
}

/** A wharf/demo container that is not one of the demo's replicas (another service or Host). */
export interface AppOptions {
  readonly service: string;
  readonly httpHost: string;
  readonly tags?: readonly string[];
}

/** A demo replica: its container name and the host it runs on. */
export interface Replica {
  readonly name: string;
  readonly host: SimulatedHost;
  /** What it answers with (`x-instance`), e.g. `h2/demo-2`. */
  readonly instance: string;
  /** The port its 8080 is published on, on its host's addresses. */
  readonly port: number;
}

/**
 * wharf deployed on simulated hosts, as docs/multi-host.md deploys it on real ones: an etcd
 * cluster with one member per host, and on every host a host-mode bridge and an edge (with its
 * DNS listener), both with `--network host`, plus `wharf/demo` replicas whose ports are published on the host's
 * address. The hosts must have `STACK_IMAGES` loaded.
 */
export class MultiHostStack {
  readonly hosts: SimulatedHosts;
  readonly httpHost: string;
  readonly ttl: string;
  readonly replicas: Replica[] = [];
  readonly #options: MultiHostStackOptions;
  readonly #lost = new Set<SimulatedHost>();
  #nextReplica = 1;

  private constructor(hosts: SimulatedHosts, options: MultiHostStackOptions) {
    this.hosts = hosts;
    this.#options = options;
    this.httpHost = options.httpHost ?? DEFAULT_HTTP_HOST;
    this.ttl = options.ttl ?? '10s';
  }

  static async start(hosts: SimulatedHosts, options: MultiHostStackOptions = {}): Promise<MultiHostStack> {
    const stack = new MultiHostStack(hosts, options);
    await stack.#startEtcd();
    await Promise.all(hosts.hosts.map((host) => stack.#startAgents(host)));
    for (let round = 0; round < (options.replicasPerHost ?? 1); round += 1) {
      await Promise.all(hosts.hosts.map((host) => stack.startReplica(host)));
    }
    await stack.waitRouted(stack.replicas);
    return stack;
  }

  /** The hosts not killed by `killHost`. */
  get liveHosts(): SimulatedHost[] {
    return this.hosts.hosts.filter((host) => !this.#lost.has(host));
  }

  /** Power loss of a whole host (see `SimulatedHost.kill`); its replicas leave `replicas`. */
  async killHost(host: SimulatedHost): Promise<void> {
    await host.kill();
    this.#lost.add(host);
    this.replicas.splice(
      0,
      this.replicas.length,
      ...this.replicas.filter((replica) => replica.host !== host),
    );
  }

  /** Client URLs of the etcd members on `hosts` (default: all). */
  etcdEndpoints(hosts: readonly SimulatedHost[] = this.hosts.hosts): string[] {
    return hosts.map((host) => `http://${host.address}:${ETCD_CLIENT_PORT}`);
  }

  /** Where `host`'s edge takes traffic. */
  edgeUrl(host: SimulatedHost): string {
    return `http://${host.address}:${EDGE_PORT}`;
  }

  /** `host`'s edge's `/routes`. */
  async routes(host: SimulatedHost): Promise<RoutesDocument> {
    const response = await fetch(`http://${host.address}:${EDGE_ADMIN_PORT}/routes`, {
      signal: AbortSignal.timeout(2_000),
    });
    if (!response.ok) throw new Error(`${host.name}'s edge answered /routes with ${response.status}`);
    return (await response.json()) as RoutesDocument;
  }

  /** The endpoints of `httpHost` (default the demo's) in `host`'s edge's table: instance id → state. */
  async routedEndpoints(host: SimulatedHost, httpHost = this.httpHost): Promise<Map<string, string>> {
    const document = await this.routes(host);
    const route = document.table.hosts.find((entry) => entry.host === httpHost)?.routes[0];
    return new Map((route?.endpoints ?? []).map((endpoint) => [endpoint.id, endpoint.state]));
  }

  /** The instance id a replica is registered under (`<node>:<container>:<private port>`). */
  instanceId(replica: Replica): string {
    return `${replica.host.name}:${replica.name}:8080`;
  }

  /** Waits until every live edge is ready (`/readyz`) and routes exactly `replicas` for `httpHost`, all serving. */
  async waitRouted(
    replicas: readonly Replica[],
    edges: readonly SimulatedHost[] = this.liveHosts,
    httpHost = this.httpHost,
  ): Promise<void> {
    const expected = replicas.map((replica) => this.instanceId(replica)).sort();
    await poll(
      async () => {
        for (const edge of edges) {
          // What a load balancer in front of the edges waits for: the table alone is known
          // before HAProxy listens (ECONNREFUSED through a HAProxy edge just started).
          const ready = await fetch(`http://${edge.address}:${EDGE_ADMIN_PORT}/readyz`, {
            signal: AbortSignal.timeout(2_000),
          });
          if (!ready.ok) throw new Error(`${edge.name}'s edge is not ready (/readyz ${ready.status})`);
          const routed = await this.routedEndpoints(edge, httpHost);
          const serving = [...routed].filter(([, state]) => state === 'serving').map(([id]) => id);
          if (JSON.stringify(serving.sort()) !== JSON.stringify(expected)) {
            throw new Error(
              `${edge.name}'s edge routes ${JSON.stringify([...routed])}, expected ${expected}`,
            );
          }
        }
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
  }

  /** Waits until no live edge lists `httpHost` (its route no longer held), for scenarios that remove one. */
  async waitHostGone(httpHost: string): Promise<void> {
    await poll(
      async () => {
        for (const edge of this.liveHosts) {
          const document = await this.routes(edge);
          if (document.table.hosts.some((entry) => entry.host === httpHost))
            throw new Error(`${edge.name}'s edge still lists ${httpHost}`);
        }
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    );
  }

  /** Starts a demo replica on `host` (its port published on every address of the host). */
  async startReplica(host: SimulatedHost): Promise<Replica> {
    const replica = await this.startApp(host, { service: 'demo', httpHost: this.httpHost });
    this.replicas.push(replica);
    return replica;
  }

  /** Starts a wharf/demo container on `host` as `options.service`; it is not one of `replicas`. */
  async startApp(host: SimulatedHost, options: AppOptions): Promise<Replica> {
    const name = `${options.service}-${this.#nextReplica++}`;
    const instance = `${host.name}/${name}`;
    await host.run(name, 'wharf/demo', {
      ...this.#restart,
      env: {
        INSTANCE: instance,
        // On `docker stop` it keeps serving briefly while its bridge marks it draining and every
        // edge moves traffic away, as an app behind a proxy should.
        SHUTDOWN_DELAY_MS: '500',
      },
      labels: {
        'wharf.service': options.service,
        'wharf.port': '8080',
        'wharf.http.host': options.httpHost,
        'wharf.check': 'http:/health',
        'wharf.check.interval': this.#options.checkInterval ?? '500ms',
        'wharf.check.timeout': '400ms',
        ...(options.tags?.length ? { 'wharf.tags': options.tags.join(',') } : {}),
      },
      publish: ['8080'],
    });
    return { name, host, instance, port: await host.publishedPort(name) };
  }

  /**
   * Starts one container of the three-tier demo on `host`, its port published on every address
   * of the host; `dns` is the resolver it asks (`host.bridgeGateway()` for the host's own edge).
   * Resolves with the `address:port` other hosts reach it at.
   */
  async startTier(host: SimulatedHost, name: string, tier: TierContainer, dns?: string): Promise<string> {
    await host.run(name, tier.image, {
      ...this.#restart,
      env: tier.env,
      labels: tier.labels,
      publish: [String(tier.port)],
      command: tier.command,
      ...(tier.entrypoint ? { entrypoint: tier.entrypoint } : {}),
      ...(dns ? { dns } : {}),
    });
    return `${host.address}:${await host.publishedPort(name, tier.port)}`;
  }

  /** `docker stop` of a replica (its bridge drains it first); it leaves `replicas`. */
  async stopReplica(replica: Replica): Promise<void> {
    await replica.host.stop(replica.name);
    this.replicas.splice(this.replicas.indexOf(replica), 1);
  }

  /** The host whose etcd member leads the cluster now, asked through etcd's JSON gateway. */
  async etcdLeader(): Promise<SimulatedHost> {
    const members = new Map<string, SimulatedHost>();
    let leader: string | undefined;
    for (const host of this.liveHosts) {
      const status = await fetch(`http://${host.address}:${ETCD_CLIENT_PORT}/v3/maintenance/status`, {
        method: 'POST',
        body: '{}',
        signal: AbortSignal.timeout(1_000),
      })
        .then((response) => response.json() as Promise<{ header?: { member_id?: string }; leader?: string }>)
        .catch(() => undefined);
      if (status?.header?.member_id) members.set(status.header.member_id, host);
      if (status?.leader && status.leader !== '0') leader = status.leader;
    }
    const host = leader === undefined ? undefined : members.get(leader);
    if (!host) throw new Error('no etcd member knows a leader');
    return host;
  }

  /**
   * What every program on every host logged last, for a failed test: etcd's and the bridge's
   * lines, the edge's own log, and from its access log the requests that failed or took over
   * a second (which endpoint, how many retries).
   */
  async dump(lines = 40): Promise<string> {
    const sections = await Promise.all(
      this.hosts.hosts.flatMap((host) => {
        const title = (what: string) => `--- ${what} on ${host.name} (${host.address})`;
        return [
          ...[ETCD, BRIDGE].map(async (name) => `${title(name)}\n${await host.logs(name, { lines })}`),
          (async () => `${title('edge')}\n${await host.logs(EDGE, { lines, stream: 'stderr' })}`)(),
          (async () =>
            `${title('edge: failed or slow requests')}\n${await host.logs(EDGE, {
              lines: lines * 2,
              stream: 'stdout',
              pattern: '"status":[45]|"durationMs":[0-9]{4,}',
            })}`)(),
        ];
      }),
    );
    return sections.join('\n');
  }

  get #restart(): { restart?: string } {
    return this.#options.restart ? { restart: this.#options.restart } : {};
  }

  async #startEtcd(): Promise<void> {
    const peers = this.hosts.hosts.map((host) => `${host.name}=http://${host.address}:${ETCD_PEER_PORT}`);
    const token = `wharf-${randomBytes(4).toString('hex')}`;
    await Promise.all(
      this.hosts.hosts.map((host) =>
        host.run(ETCD, ETCD_IMAGE, {
          ...this.#restart,
          network: 'host',
          command: [
            'etcd',
            `--name=${host.name}`,
            '--data-dir=/var/lib/etcd',
            `--listen-client-urls=http://0.0.0.0:${ETCD_CLIENT_PORT}`,
            `--advertise-client-urls=http://${host.address}:${ETCD_CLIENT_PORT}`,
            `--listen-peer-urls=http://${host.address}:${ETCD_PEER_PORT}`,
            `--initial-advertise-peer-urls=http://${host.address}:${ETCD_PEER_PORT}`,
            `--initial-cluster=${peers.join(',')}`,
            `--initial-cluster-token=${token}`,
            '--initial-cluster-state=new',
            // A member cut off and then healed must not force an election on the others.
            '--pre-vote',
            '--logger=zap',
            '--log-level=warn',
          ],
        }),
      ),
    );
    await poll(
      async () => {
        for (const endpoint of this.etcdEndpoints()) {
          const health = (await (
            await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1_000) })
          ).json()) as { health?: string };
          if (health.health !== 'true') throw new Error(`etcd at ${endpoint} is not healthy yet`);
        }
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
  }

  async #startAgents(host: SimulatedHost): Promise<void> {
    const etcd = this.etcdEndpoints().join(',');
    await host.run(BRIDGE, 'wharf/bridge', {
      ...this.#restart,
      network: 'host',
      volumes: ['/var/run/docker.sock:/var/run/docker.sock:ro'],
      // No WHARF_HOST_IP: each bridge finds its host's address (the route to etcd).
      env: { WHARF_ETCD: etcd, WHARF_TTL: this.ttl },
    });
    await host.run(EDGE, 'wharf/edge', {
      ...this.#restart,
      network: 'host',
      env: {
        WHARF_ETCD: etcd,
        ...(this.#options.planes?.[host.name] ? dataPlaneEnv(this.#options.planes[host.name]!) : {}),
        WHARF_LISTEN: `0.0.0.0:${EDGE_PORT}`,
        // Open to this machine so tests and people can read /routes from outside the host.
        WHARF_ADMIN_LISTEN: `0.0.0.0:${EDGE_ADMIN_PORT}`,
        WHARF_DNS_LISTEN: `0.0.0.0:${EDGE_DNS_PORT}`,
        ...(this.#options.upstreamTimeout ? { WHARF_UPSTREAM_TIMEOUT: this.#options.upstreamTimeout } : {}),
        ...(this.#options.accessLog ? { WHARF_ACCESS_LOG: 'stdout' } : {}),
        ...(this.#options.zones?.[host.name] ? { WHARF_ZONE: this.#options.zones[host.name] } : {}),
        ...(this.#options.routeGrace ? { WHARF_ROUTE_GRACE: this.#options.routeGrace } : {}),
      },
    });
  }
}
