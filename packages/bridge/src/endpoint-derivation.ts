import { type HttpRoute, instanceId, isValidName, LabelError, serviceNameFromImage } from '@wharf/core';
import { CHECK_DEFAULTS, type CheckSpec, describeCheck } from './check-spec.js';
import type { ContainerFacts, PortFacts } from './container-facts.js';
import { ContainerSettings, type SettingSource, type WantedPort } from './container-settings.js';

/** One endpoint the bridge wants in etcd for a container, before health is known. */
export interface DesiredEndpoint {
  readonly service: string;
  readonly instanceId: string;
  readonly address: string;
  readonly port: number;
  readonly privatePort: number;
  readonly protocol: 'http' | 'tcp' | 'udp';
  readonly container: { readonly id: string; readonly name: string; readonly image: string };
  readonly tags: readonly string[];
  readonly weight: number;
  readonly routes: readonly HttpRoute[];
  readonly check: CheckSpec;
}

export interface DeriveContext {
  readonly node: string;
  /** Address published with host ports when a binding does not name one (WHARF_HOST_IP or detected). */
  readonly hostIp: string;
  /** True when WHARF_HOST_IP was set explicitly: it then wins over a binding's own address. */
  readonly hostIpExplicit: boolean;
  readonly internal: boolean;
  readonly network: string | undefined;
  /** Host mode: only containers that opt in with `wharf.service` (or SERVICE_NAME). */
  readonly explicit: boolean;
  /** Sidecar mode: settings from the bridge's own env, keyed by label name. */
  readonly overrides: Readonly<Record<string, string>>;
}

export interface DeriveResult {
  readonly endpoints: readonly DesiredEndpoint[];
  /** Why nothing is published, when that is not an error. */
  readonly skipped?: string;
}

/**
 * Turns a container's facts and settings into the endpoints to publish: which ports, under which
 * service names and instance ids, at which address, with which check. Pure. Throws `LabelError`
 * naming the label (or variable) and value when a setting cannot be used; the caller skips that
 * container.
 */
export function deriveEndpoints(facts: ContainerFacts, context: DeriveContext): DeriveResult {
  const settings = new ContainerSettings(facts, context.overrides);
  if (settings.get('wharf.ignore') === true) return { endpoints: [], skipped: 'ignored by wharf.ignore' };
  const explicitService = settings.get('wharf.service');
  if (context.explicit && explicitService === undefined) {
    return { endpoints: [], skipped: 'no wharf.service label (WHARF_EXPLICIT=true)' };
  }
  const baseService = explicitService ?? serviceNameFromImage(facts.image);
  if (!isValidName(baseService)) {
    throw new LabelError(
      'wharf.service',
      baseService,
      'a service name; the image name does not give a valid one',
    );
  }

  const tags = settings.get('wharf.tags') ?? [];
  const weight = settings.get('wharf.weight') ?? 1;
  const hosts = settings.get('wharf.http.host') ?? [];
  const prefix = settings.get('wharf.http.path') ?? '/';
  const https = {
    tls: settings.get('wharf.tls'),
    redirect: settings.get('wharf.http.redirect'),
    hsts: settings.get('wharf.http.hsts'),
  };
  const routes = hosts.map((host) => withoutUndefined({ host, pathPrefix: prefix, ...https }));
  const { kind: checkKind, intervalMs, timeoutMs, rise, fall } = settings.check(CHECK_DEFAULTS);
  if (checkKind?.kind === 'docker' && facts.health === undefined) {
    const found = settings.source('wharf.check') as SettingSource;
    throw new LabelError(found.name, found.value, 'a container with a HEALTHCHECK for the docker check');
  }

  const ports = selectPorts(facts, context, settings.source('wharf.port'), settings.get('wharf.port'));
  if (ports.length === 0) return { endpoints: [], skipped: 'no published ports' };

  const network = context.internal ? pickNetwork(facts, context) : undefined;
  const endpoints = ports.map((port): DesiredEndpoint => {
    const perPortName = settings.portName(port.privatePort);
    const service = perPortName ?? (ports.length > 1 ? `${baseService}-${port.privatePort}` : baseService);
    const kind = checkKind ?? { kind: port.protocol === 'udp' ? 'none' : 'tcp' };
    const check: CheckSpec = {
      kind: kind.kind,
      ...(kind.path === undefined ? {} : { path: kind.path }),
      intervalMs,
      timeoutMs,
      rise,
      fall,
      description: describeCheck(kind.kind, kind.path),
    };
    const protocol =
      port.protocol === 'udp' ? 'udp' : routes.length > 0 || check.kind === 'http' ? 'http' : 'tcp';
    const { address, publishedPort } = network
      ? { address: network.ip, publishedPort: port.privatePort }
      : hostAddress(port, context);
    return {
      service,
      instanceId: instanceId(context.node, facts.name, port.privatePort, port.protocol),
      address,
      port: publishedPort,
      privatePort: port.privatePort,
      protocol,
      container: { id: facts.id, name: facts.name, image: facts.image },
      tags,
      weight,
      routes,
      check,
    };
  });
  return { endpoints };
}

function selectPorts(
  facts: ContainerFacts,
  context: DeriveContext,
  portSource: SettingSource | undefined,
  wanted: readonly WantedPort[] | undefined,
): PortFacts[] {
  const usable = (port: PortFacts) => context.internal || port.bindings.length > 0;
  if (wanted === undefined) {
    const published = facts.ports.filter((port) => port.bindings.length > 0);
    // Internal mode reaches the container directly, so exposed-only ports count when none is published.
    if (published.length === 0 && context.internal) return [...facts.ports];
    return published;
  }
  return wanted.map(({ port, protocol }) => {
    const found = facts.ports.find(
      (candidate) => candidate.privatePort === port && candidate.protocol === protocol,
    );
    const source = portSource as SettingSource;
    if (!found) {
      const exposed = facts.ports
        .map((candidate) => `${candidate.privatePort}/${candidate.protocol}`)
        .join(', ');
      throw new LabelError(source.name, source.value, `ports the container exposes (${exposed || 'none'})`);
    }
    if (!usable(found)) {
      throw new LabelError(
        source.name,
        source.value,
        `a port published to the host (port ${port} is only exposed; publish it or set WHARF_INTERNAL=true)`,
      );
    }
    return found;
  });
}

function pickNetwork(facts: ContainerFacts, context: DeriveContext): { name: string; ip: string } {
  const withIp = facts.networks.filter((network) => network.ip !== '');
  const network =
    context.network === undefined
      ? withIp[0]
      : withIp.find((candidate) => candidate.name === context.network);
  if (!network) {
    const names = withIp.map((candidate) => candidate.name).join(', ') || 'none with an address';
    throw new LabelError('WHARF_NETWORK', context.network ?? '', `a network the container is on (${names})`);
  }
  return network;
}

const WILDCARD = new Set(['', '0.0.0.0', '::']);

function hostAddress(port: PortFacts, context: DeriveContext): { address: string; publishedPort: number } {
  // Docker lists an IPv4 and an IPv6 binding for the same port; the IPv4 one is preferred.
  const binding = port.bindings.find((candidate) => !candidate.hostIp.includes(':')) ?? port.bindings[0];
  if (!binding) throw new Error('unreachable: port without binding selected');
  const address = context.hostIpExplicit || WILDCARD.has(binding.hostIp) ? context.hostIp : binding.hostIp;
  return { address, publishedPort: binding.hostPort };
}

/** Leaves out unset optional fields, so records without them keep their exact bytes. */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}
