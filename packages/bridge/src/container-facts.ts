import type { ContainerInspect } from './docker-client.js';

/** What the bridge needs to know about one container, taken from `docker inspect`. */
export interface ContainerFacts {
  readonly id: string;
  /** Without Docker's leading slash. */
  readonly name: string;
  readonly image: string;
  readonly labels: Readonly<Record<string, string>>;
  /** `KEY=value` entries, as Docker reports them. */
  readonly env: readonly string[];
  readonly running: boolean;
  readonly ports: readonly PortFacts[];
  /** In Docker's order; the first is used when no network is named. */
  readonly networks: readonly { readonly name: string; readonly ip: string }[];
  /** Docker's HEALTHCHECK status, or undefined when the image has no HEALTHCHECK. */
  readonly health: string | undefined;
}

export interface PortFacts {
  readonly privatePort: number;
  readonly protocol: 'tcp' | 'udp';
  /** Published host bindings; empty when the port is only exposed. */
  readonly bindings: readonly { readonly hostIp: string; readonly hostPort: number }[];
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
