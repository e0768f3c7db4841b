import {
  type HttpRoute,
  instanceId,
  isValidName,
  LabelError,
  pathPrefix,
  routeHost,
  serviceNameFromImage,
} from '@wharf/core';
import {
  CHECK_DEFAULTS,
  type CheckSpec,
  describeCheck,
  type Parsed,
  parseCheckDuration,
  parseCheckKind,
  parseCount,
} from './check-spec.js';

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

/** The bridge's own env names (sidecar mode) for each label. */
export const SIDECAR_ENV: Readonly<Record<string, string>> = Object.freeze({
  'wharf.service': 'WHARF_SERVICE',
  'wharf.port': 'WHARF_PORT',
  'wharf.tags': 'WHARF_TAGS',
  'wharf.http.host': 'WHARF_HTTP_HOST',
  'wharf.http.path': 'WHARF_HTTP_PATH',
  'wharf.weight': 'WHARF_WEIGHT',
  'wharf.check': 'WHARF_CHECK',
  'wharf.check.interval': 'WHARF_CHECK_INTERVAL',
  'wharf.check.timeout': 'WHARF_CHECK_TIMEOUT',
  'wharf.check.rise': 'WHARF_CHECK_RISE',
  'wharf.check.fall': 'WHARF_CHECK_FALL',
  'wharf.tls': 'WHARF_TLS',
  'wharf.http.redirect': 'WHARF_HTTP_REDIRECT',
  'wharf.http.hsts': 'WHARF_HTTP_HSTS',
});

/** Registrator's container env names, read when no label (or sidecar env) says otherwise. */
export const REGISTRATOR_ENV: Readonly<Record<string, string>> = Object.freeze({
  'wharf.service': 'SERVICE_NAME',
  'wharf.tags': 'SERVICE_TAGS',
  'wharf.ignore': 'SERVICE_IGNORE',
  'wharf.check': 'SERVICE_CHECK_HTTP',
  'wharf.check.interval': 'SERVICE_CHECK_INTERVAL',
  'wharf.check.timeout': 'SERVICE_CHECK_TIMEOUT',
});

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = (expected: string): Parsed<never> => ({ ok: false, expected });

/** Validates one setting by label name; used for labels and, at start, for the sidecar's env. */
export function parseSetting(label: string, value: string): Parsed<unknown> {
  switch (label) {
    case 'wharf.service':
      return isValidName(value.trim())
        ? ok(value.trim())
        : bad('a name of 1-253 characters of A-Z a-z 0-9 . _ : -');
    case 'wharf.port':
      return parsePorts(value);
    case 'wharf.tags':
      return parseTags(value);
    case 'wharf.http.host':
      return parseHosts(value);
    case 'wharf.http.path': {
      const parsed = pathPrefix.safeParse(value.trim());
      return parsed.success ? ok(parsed.data) : bad('a path prefix starting with /, such as /api');
    }
    case 'wharf.weight':
      return /^\d{1,5}$/.test(value.trim()) && Number(value) <= 10_000
        ? ok(Number(value))
        : bad('a whole number from 0 to 10000');
    case 'wharf.check':
      return parseCheckKind(value);
    case 'wharf.check.interval':
      return parseCheckDuration(value, 100);
    case 'wharf.check.timeout':
      return parseCheckDuration(value, 10);
    case 'wharf.check.rise':
    case 'wharf.check.fall':
      return parseCount(value);
    case 'wharf.tls':
      return /^(auto|off)$/.test(value.trim()) ? ok(value.trim()) : bad('auto or off');
    case 'wharf.http.redirect':
      return value.trim() === 'https' ? ok('https') : bad('https');
    case 'wharf.http.hsts':
      return /^\d{1,8}$/.test(value.trim()) && Number(value) <= 63_072_000
        ? ok(Number(value))
        : bad('an HSTS max-age in seconds, from 0 to 63072000');
    case 'wharf.ignore':
      return /^(true|false|1|0|yes|no)$/i.test(value.trim())
        ? ok(/^(true|1|yes)$/i.test(value.trim()))
        : bad('true or false');
    default:
      return bad('a known wharf setting');
  }
}

function parsePorts(text: string): Parsed<{ port: number; protocol: 'tcp' | 'udp' }[]> {
  const ports: { port: number; protocol: 'tcp' | 'udp' }[] = [];
  for (const item of text.split(',')) {
    const match = /^(\d{1,5})(?:\/(tcp|udp))?$/.exec(item.trim());
    const port = Number(match?.[1]);
    if (!match || port < 1 || port > 65_535)
      return bad('a comma list of container ports such as 8080 or 53/udp');
    ports.push({ port, protocol: (match[2] as 'tcp' | 'udp' | undefined) ?? 'tcp' });
  }
  return ok(ports);
}

function parseTags(text: string): Parsed<string[]> {
  const tags = splitList(text);
  if (tags.length > 64 || tags.some((tag) => tag.length > 256))
    return bad('at most 64 tags of up to 256 characters');
  return ok(tags);
}

function parseHosts(text: string): Parsed<string[]> {
  const hosts: string[] = [];
  for (const item of splitList(text)) {
    const parsed = routeHost.safeParse(item);
    if (!parsed.success) return bad('a comma list of host names such as web.example.com or *.example.com');
    hosts.push(parsed.data);
  }
  if (hosts.length === 0 || hosts.length > 64) return bad('one to 64 host names');
  return ok(hosts);
}

/** Leaves out unset optional fields, so records without them keep their exact bytes. */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** One setting's raw value and where it came from (the name a warning should show). */
interface Source {
  readonly name: string;
  readonly value: string;
}

/**
 * Turns a container's labels, its env (registrator's names) and, in sidecar mode, the bridge's
 * own env into the endpoints to publish. Pure. Throws `LabelError` naming the label (or
 * variable) and value when a setting cannot be used; the caller skips that container.
 *
 * Precedence, first wins: sidecar env (`WHARF_*`) → `wharf.*` label → registrator env
 * (`SERVICE_*`) → default.
 */
export function deriveEndpoints(facts: ContainerFacts, context: DeriveContext): DeriveResult {
  const env = envMap(facts.env);
  const source = (label: string): Source | undefined => {
    const override = context.overrides[label];
    if (override !== undefined) return { name: SIDECAR_ENV[label] ?? label, value: override };
    const labelValue = facts.labels[label];
    if (labelValue !== undefined && labelValue.trim() !== '') return { name: label, value: labelValue };
    const registratorName = REGISTRATOR_ENV[label];
    const envValue = registratorName ? env.get(registratorName) : undefined;
    if (registratorName && envValue !== undefined && envValue.trim() !== '') {
      // SERVICE_CHECK_HTTP holds a bare path.
      const value = label === 'wharf.check' ? `http:${envValue.trim()}` : envValue;
      return { name: registratorName, value };
    }
    return undefined;
  };
  const setting = <T>(label: string): T | undefined => {
    const found = source(label);
    if (found === undefined) return undefined;
    const parsed = parseSetting(label, found.value);
    if (!parsed.ok) throw new LabelError(found.name, found.value, parsed.expected);
    return parsed.value as T;
  };

  if (setting<boolean>('wharf.ignore') === true) return { endpoints: [], skipped: 'ignored by wharf.ignore' };
  const explicitService = setting<string>('wharf.service');
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

  const tags = setting<string[]>('wharf.tags') ?? [];
  const weight = setting<number>('wharf.weight') ?? 1;
  const hosts = setting<string[]>('wharf.http.host') ?? [];
  const prefix = setting<string>('wharf.http.path') ?? '/';
  const https = {
    tls: setting<'auto' | 'off'>('wharf.tls'),
    redirect: setting<'https'>('wharf.http.redirect'),
    hsts: setting<number>('wharf.http.hsts'),
  };
  const routes = hosts.map((host) => withoutUndefined({ host, pathPrefix: prefix, ...https }));
  const checkKind = setting<{ kind: CheckSpec['kind']; path?: string }>('wharf.check');
  const intervalMs = setting<number>('wharf.check.interval') ?? CHECK_DEFAULTS.intervalMs;
  const timeoutMs = setting<number>('wharf.check.timeout') ?? Math.min(CHECK_DEFAULTS.timeoutMs, intervalMs);
  const rise = setting<number>('wharf.check.rise') ?? CHECK_DEFAULTS.rise;
  const fall = setting<number>('wharf.check.fall') ?? CHECK_DEFAULTS.fall;
  if (timeoutMs > intervalMs) {
    const found = source('wharf.check.timeout') as Source;
    throw new LabelError(
      found.name,
      found.value,
      `a timeout no longer than the check interval (${intervalMs}ms)`,
    );
  }
  if (checkKind?.kind === 'docker' && facts.health === undefined) {
    const found = source('wharf.check') as Source;
    throw new LabelError(found.name, found.value, 'a container with a HEALTHCHECK for the docker check');
  }

  const ports = selectPorts(facts, context, source('wharf.port'), setting('wharf.port'));
  if (ports.length === 0) return { endpoints: [], skipped: 'no published ports' };

  const network = context.internal ? pickNetwork(facts, context) : undefined;
  const endpoints = ports.map((port): DesiredEndpoint => {
    const perPortName = env.get(`SERVICE_${port.privatePort}_NAME`)?.trim();
    if (perPortName !== undefined && perPortName !== '' && !isValidName(perPortName)) {
      throw new LabelError(
        `SERVICE_${port.privatePort}_NAME`,
        perPortName,
        'a service name of A-Z a-z 0-9 . _ : -',
      );
    }
    const service = perPortName || (ports.length > 1 ? `${baseService}-${port.privatePort}` : baseService);
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

function envMap(entries: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const entry of entries) {
    const index = entry.indexOf('=');
    if (index > 0) map.set(entry.slice(0, index), entry.slice(index + 1));
  }
  return map;
}

function selectPorts(
  facts: ContainerFacts,
  context: DeriveContext,
  portSource: Source | undefined,
  wanted: { port: number; protocol: 'tcp' | 'udp' }[] | undefined,
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
    const source = portSource as Source;
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
