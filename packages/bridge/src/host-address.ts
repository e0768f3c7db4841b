import { createSocket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { hostname, type NetworkInterfaceInfo, networkInterfaces } from 'node:os';
import { ConfigError } from '@wharf/core';

// Docker's own bridges and veth pairs are never the address other hosts reach this one on.
const DOCKER_INTERFACE = /^(docker\d*|br-[0-9a-f]+|veth.*|cni\d*|flannel.*|cali.*)$/;
// A bind mount Docker gives every container (hostname, hosts, resolv.conf) names its full id.
const CONTAINER_MOUNT = /\/containers\/([0-9a-f]{64})\/(?:hostname|hosts|resolv\.conf)\s/;

/** What decides the address a bridge publishes with host ports; gathered by `observeHost`. */
export interface HostFacts {
  /** WHARF_HOST_IP. */
  readonly explicit: string | undefined;
  /** WHARF_INTERNAL: records carry container addresses, so the host address goes unused. */
  readonly internal: boolean;
  /** The bridge's own container and its network mode; undefined when it runs on the host. */
  readonly container: { readonly id: string; readonly networkMode: string } | undefined;
  /** The source address the kernel picks for a route to the first etcd endpoint. */
  readonly towardEtcd: { readonly endpoint: string; readonly address: string } | undefined;
  /** The interface of the default route (`/proc/net/route`). */
  readonly defaultRouteInterface: string | undefined;
  readonly interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>;
}

export interface HostAddress {
  readonly address: string;
  /** How it was found, for the start-up log line. */
  readonly source: string;
}

/**
 * The address other hosts reach this one on, which the bridge publishes with host ports. Told
 * (WHARF_HOST_IP) beats found; found means the source address of the route to etcd (the network
 * the registry is shared on), else the default route's interface, else the first interface that
 * is not Docker's. Never loopback or unspecified unless told: another host would dial itself.
 * A bridge in a container with its own network namespace sees only that namespace, so there it
 * must be told (or run with `--network host`, or publish container addresses).
 */
export function chooseHostAddress(facts: HostFacts): HostAddress {
  if (facts.explicit !== undefined) return { address: facts.explicit, source: 'WHARF_HOST_IP' };
  const contained = facts.container !== undefined && facts.container.networkMode !== 'host';
  if (!contained) {
    const found = findHostAddress(facts);
    if (found) return found;
  }
  // With WHARF_INTERNAL no record carries it; keep the start-up line truthful.
  if (facts.internal) return { address: '127.0.0.1', source: 'unused (WHARF_INTERNAL=true)' };
  if (contained) {
    const mode = facts.container?.networkMode;
    throw new ConfigError(
      'WHARF_HOST_IP',
      undefined,
      `the address other hosts reach this one on: the bridge runs in a container with network mode "${mode}", where it cannot see the host's addresses (or run it with --network host, or set WHARF_INTERNAL=true to publish container addresses)`,
    );
  }
  throw new ConfigError(
    'WHARF_HOST_IP',
    undefined,
    'the address other hosts reach this one on: this host has no address but loopback (set WHARF_HOST_IP=127.0.0.1 for a registry only this host reads)',
  );
}

function findHostAddress(facts: HostFacts): HostAddress | undefined {
  const etcd = facts.towardEtcd;
  if (etcd && isPublishable(etcd.address)) {
    return { address: etcd.address, source: `source address of the route to etcd at ${etcd.endpoint}` };
  }
  const byRoute = facts.defaultRouteInterface;
  const routed = byRoute === undefined ? undefined : firstPublishable(facts.interfaces[byRoute] ?? []);
  if (routed) return { address: routed, source: `interface ${byRoute} of the default route` };
  for (const name of Object.keys(facts.interfaces)) {
    if (DOCKER_INTERFACE.test(name)) continue;
    const address = firstPublishable(facts.interfaces[name] ?? []);
    if (address) return { address, source: `first interface that is not Docker's (${name})` };
  }
  return undefined;
}

function firstPublishable(addresses: readonly NetworkInterfaceInfo[]): string | undefined {
  const usable = addresses.filter((entry) => !entry.internal && isPublishable(entry.address));
  return (usable.find((entry) => entry.family === 'IPv4') ?? usable[0])?.address;
}

/** Neither loopback, unspecified nor link-local (another host could not dial it). */
export function isPublishable(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return !/^(127\.|0\.|169\.254\.)/.test(address);
  if (family === 6) {
    const lower = address.toLowerCase();
    return lower !== '::' && lower !== '::1' && !/^fe[89ab]/.test(lower) && !lower.startsWith('::ffff:127.');
  }
  return false;
}

/** The interface of the default IPv4 route in `/proc/net/route`'s text. */
export function parseDefaultRoute(text: string): string | undefined {
  for (const line of text.split('\n').slice(1)) {
    const [name, destination, , , , , , mask] = line.trim().split(/\s+/);
    if (name && destination === '00000000' && mask === '00000000') return name;
  }
  return undefined;
}

/** The id of the container whose `/proc/self/mountinfo` this is, if it is one. */
export function parseOwnContainerId(mountinfo: string): string | undefined {
  return CONTAINER_MOUNT.exec(mountinfo)?.[1];
}

export interface ObserveOptions {
  readonly explicit: string | undefined;
  readonly internal: boolean;
  readonly etcdEndpoints: readonly string[];
  /** The bridge's Docker client: the network mode of its own container, if it runs in one. */
  readonly networkModeOf: (containerId: string) => Promise<string | undefined>;
}

/** Gathers the facts `chooseHostAddress` decides on; every probe that fails counts as "unknown". */
export async function observeHost(options: ObserveOptions): Promise<HostFacts> {
  if (options.explicit !== undefined) {
    return {
      explicit: options.explicit,
      internal: options.internal,
      container: undefined,
      towardEtcd: undefined,
      defaultRouteInterface: undefined,
      interfaces: {},
    };
  }
  const [container, towardEtcd, routes] = await Promise.all([
    ownContainer(options.networkModeOf),
    routeSource(options.etcdEndpoints[0]),
    readFile('/proc/net/route', 'utf8').catch(() => ''),
  ]);
  return {
    explicit: undefined,
    internal: options.internal,
    container,
    towardEtcd,
    defaultRouteInterface: parseDefaultRoute(routes),
    interfaces: networkInterfaces(),
  };
}

async function ownContainer(networkModeOf: ObserveOptions['networkModeOf']): Promise<HostFacts['container']> {
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  const id = parseOwnContainerId(mountinfo);
  if (id === undefined) return undefined;
  // Docker names a container's host the start of its id unless told otherwise; either way the
  // mount above already proved where the bridge runs, so an unknown mode is "its own namespace".
  const networkMode = await networkModeOf(id).catch(() => undefined);
  return { id, networkMode: networkMode ?? `unknown (container ${hostname()})` };
}

/**
 * Connecting a UDP socket sends nothing; it only asks the kernel which source address a packet
 * to the endpoint would carry. Hostnames resolve as the etcd client resolves them.
 */
async function routeSource(endpoint: string | undefined): Promise<HostFacts['towardEtcd']> {
  if (endpoint === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return undefined;
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 2379));
  const socket = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
  try {
    const address = await new Promise<string>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(port, host, () => resolve(socket.address().address));
    });
    return { endpoint: url.host, address };
  } catch {
    return undefined;
  } finally {
    socket.close();
  }
}
