import { BlockList, isIP } from 'node:net';
import { type CommonConfig, ConfigError, ConfigReader, type Env, readCommonConfig } from '@wharf/core';
import type { AccessLogTarget } from './dataplane/access-log.js';
import { DATA_PLANE_KINDS, type DataPlaneKind } from './dataplane/data-plane.js';
import { type DnsConfig, readDnsConfig } from './dns/dns-config.js';
import { readTlsConfig, type TlsConfig } from './tls/tls-config.js';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export interface EdgeConfig {
  readonly common: CommonConfig;
  /** Which proxy carries the traffic (`WHARF_DATAPLANE`). */
  readonly dataplane: DataPlaneKind;
  readonly listen: ListenAddress;
  readonly adminListen: ListenAddress;
  /** `WHARF_HEALTH_LISTEN`: `/healthz` and `/readyz` alone, for load balancers; off by default. */
  readonly healthListen: ListenAddress | undefined;
  readonly workers: number;
  /** CIDRs whose `X-Forwarded-*` headers are kept (appended to); empty means none. */
  readonly trustedProxies: readonly string[];
  readonly headersTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly upstreamTimeoutMs: number;
  /** How long a connection to an endpoint may take to open (`WHARF_CONNECT_TIMEOUT`); then it is retried elsewhere. */
  readonly connectTimeoutMs: number;
  readonly shutdownGraceMs: number;
  /** How long requests arriving before the first full sync wait for it (then 503). */
  readonly startupWaitMs: number;
  readonly allowLinkLocal: boolean;
  /** First passive-health ejection (doubles per repeat, capped at 30×). */
  readonly ejectionMs: number;
  /** Endpoints tagged `zone=<this>` are preferred while any of them can answer (`WHARF_ZONE`). */
  readonly zone: string | undefined;
  /** How long a route that lost its last serving endpoint stays known: 503, not 404 (`WHARF_ROUTE_GRACE`). */
  readonly routeGraceMs: number;
  /** How long a request to a held route waits for a serving endpoint before its 503 (`WHARF_ROUTE_WAIT`). */
  readonly routeWaitMs: number;
  /** `WHARF_ACCESS_LOG`: one JSON line per request on standard output, or off. */
  readonly accessLog: AccessLogTarget;
  /** HTTPS: the TLS listener, certificates, ACME (`WHARF_TLS_*`, `WHARF_ACME_*`). */
  readonly tls: TlsConfig;
  /** `WHARF_DNS_LISTEN`, `WHARF_DNS_DOMAIN`, `WHARF_DNS_TTL`: the optional DNS listener. */
  readonly dns: DnsConfig;
}

/** Reads the edge's settings (plus the common ones) once, at start; the result is frozen. */
export function readEdgeConfig(reader: ConfigReader): EdgeConfig {
  const common = readCommonConfig(reader);
  const trustedProxies = reader.list('WHARF_TRUSTED_PROXIES');
  for (const cidr of trustedProxies) {
    if (parseCidr(cidr) === undefined) {
      throw new ConfigError(
        'WHARF_TRUSTED_PROXIES',
        cidr,
        'a comma list of CIDRs such as 10.0.0.0/8,::1/128',
      );
    }
  }
  return Object.freeze({
    common,
    dataplane: reader.oneOf('WHARF_DATAPLANE', DATA_PLANE_KINDS, 'builtin'),
    listen: Object.freeze(reader.listenAddress('WHARF_LISTEN', '0.0.0.0:8080')),
    adminListen: Object.freeze(reader.listenAddress('WHARF_ADMIN_LISTEN', '127.0.0.1:9090', '127.0.0.1')),
    healthListen:
      reader.raw('WHARF_HEALTH_LISTEN') === 'off' || reader.raw('WHARF_HEALTH_LISTEN') === undefined
        ? undefined
        : Object.freeze(reader.listenAddress('WHARF_HEALTH_LISTEN', '0.0.0.0:8081')),
    workers: reader.integer('WHARF_WORKERS', 1, { min: 1, max: 256 }),
    trustedProxies: Object.freeze(trustedProxies),
    headersTimeoutMs: reader.duration('WHARF_HEADERS_TIMEOUT', 10_000, { minMs: 100, maxMs: 300_000 }),
    idleTimeoutMs: reader.duration('WHARF_IDLE_TIMEOUT', 60_000, { minMs: 100, maxMs: 3_600_000 }),
    upstreamTimeoutMs: reader.duration('WHARF_UPSTREAM_TIMEOUT', 60_000, { minMs: 10, maxMs: 3_600_000 }),
    connectTimeoutMs: reader.duration('WHARF_CONNECT_TIMEOUT', 1_000, { minMs: 10, maxMs: 60_000 }),
    shutdownGraceMs: reader.duration('WHARF_SHUTDOWN_GRACE', 10_000, { minMs: 0, maxMs: 3_600_000 }),
    startupWaitMs: reader.duration('WHARF_STARTUP_WAIT', 5_000, { minMs: 0, maxMs: 300_000 }),
    allowLinkLocal: reader.boolean('WHARF_ALLOW_LINK_LOCAL', false),
    ejectionMs: reader.duration('WHARF_EJECTION_TIME', 10_000, { minMs: 100, maxMs: 600_000 }),
    zone: readZone(reader),
    routeGraceMs: reader.duration('WHARF_ROUTE_GRACE', 30_000, { minMs: 0, maxMs: 3_600_000 }),
    routeWaitMs: reader.duration('WHARF_ROUTE_WAIT', 10_000, { minMs: 0, maxMs: 300_000 }),
    accessLog: reader.oneOf('WHARF_ACCESS_LOG', ['off', 'stdout'] as const, 'off'),
    tls: readTlsConfig(reader),
    dns: readDnsConfig(reader),
  });
}

function readZone(reader: ConfigReader): string | undefined {
  const zone = reader.string('WHARF_ZONE');
  if (zone !== undefined && !/^[A-Za-z0-9._-]{1,63}$/.test(zone))
    throw new ConfigError('WHARF_ZONE', zone, 'a zone name such as eu-1a (letters, digits, . _ -)');
  return zone;
}

export function loadEdgeConfig(env: Env): EdgeConfig {
  return readEdgeConfig(new ConfigReader(env));
}

/** `10.0.0.0/8`, `::1/128` or a bare address (a single host). */
export function parseCidr(
  cidr: string,
): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [address = '', bits, ...rest] = cidr.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return undefined;
  const family = version === 4 ? 'ipv4' : 'ipv6';
  const max = version === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : Number(bits);
  if (!/^\d{1,3}$/.test(bits ?? String(max)) || prefix > max) return undefined;
  return { address, prefix, family };
}

/** A `BlockList` matching every CIDR given (already validated by `parseCidr`). */
export function cidrList(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const parsed = parseCidr(cidr);
    if (parsed) list.addSubnet(parsed.address, parsed.prefix, parsed.family);
  }
  return list;
}
