import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import {
  type CommonConfig,
  ConfigError,
  ConfigReader,
  type Env,
  nameSetting,
  readCommonConfig,
} from '@wharf/core';
import { parseLabel, SIDECAR_ENV } from './container-settings.js';
import type { DockerEndpoint } from './docker-client.js';

export interface BridgeConfig extends CommonConfig {
  /** Container name or id to watch (sidecar mode); undefined in host mode. */
  readonly target: string | undefined;
  readonly mode: 'sidecar' | 'host';
  /** WHARF_NODE; undefined means "ask Docker for its daemon name". */
  readonly node: string | undefined;
  /** WHARF_HOST_IP; undefined means "detect" (see host-address.ts). */
  readonly hostIp: string | undefined;
  readonly internal: boolean;
  readonly network: string | undefined;
  readonly ttlSeconds: number;
  readonly explicit: boolean;
  /** WHARF_BRIDGE_ID; undefined means `<node>-bridge[-<target>]`. */
  readonly bridgeId: string | undefined;
  /** Sidecar mode: per-container settings from the bridge's own env, keyed by label name. */
  readonly overrides: Readonly<Record<string, string>>;
  /** From DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, as the docker CLI reads them. */
  readonly docker: DockerEndpoint;
}

const CONTAINER_NAME = /^\/?[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$/;

/** Reads and validates the bridge's env once; throws `ConfigError` naming the variable. */
export function loadBridgeConfig(env: Env): BridgeConfig {
  const reader = new ConfigReader(env);
  const common = readCommonConfig(reader);

  const target = reader.string('WHARF_TARGET');
  if (target !== undefined && !CONTAINER_NAME.test(target)) {
    throw new ConfigError('WHARF_TARGET', target, 'a container name or id');
  }
  const node = reader.setting<string | undefined>('WHARF_NODE', nameSetting(), undefined);
  const bridgeId = reader.setting<string | undefined>('WHARF_BRIDGE_ID', nameSetting(), undefined);

  const hostIp = reader.string('WHARF_HOST_IP');
  if (hostIp !== undefined && isIP(hostIp) === 0) {
    throw new ConfigError('WHARF_HOST_IP', hostIp, 'an IPv4 or IPv6 address');
  }

  const ttlMs = reader.duration('WHARF_TTL', 10_000, { minMs: 1_000, maxMs: 3_600_000 });
  if (ttlMs % 1_000 !== 0) {
    throw new ConfigError('WHARF_TTL', reader.raw('WHARF_TTL'), 'whole seconds (etcd leases count seconds)');
  }

  const overrides: Record<string, string> = {};
  for (const [label, variable] of Object.entries(SIDECAR_ENV)) {
    const value = reader.string(variable);
    if (value === undefined) continue;
    if (target === undefined)
      throw new ConfigError(variable, value, 'unset without WHARF_TARGET (sidecar mode only)');
    const parsed = parseLabel(label, value);
    if (!parsed.ok) throw new ConfigError(variable, value, parsed.expected);
    overrides[label] = value;
  }

  return Object.freeze({
    ...common,
    target: target?.replace(/^\//, ''),
    mode: target === undefined ? 'host' : 'sidecar',
    node,
    hostIp,
    internal: reader.boolean('WHARF_INTERNAL', false),
    network: reader.string('WHARF_NETWORK'),
    ttlSeconds: ttlMs / 1_000,
    explicit: reader.boolean('WHARF_EXPLICIT', true),
    bridgeId,
    overrides: Object.freeze(overrides),
    docker: Object.freeze(readDockerEndpoint(reader)),
  });
}

function readDockerEndpoint(reader: ConfigReader): DockerEndpoint {
  const value = reader.string('DOCKER_HOST', 'unix:///var/run/docker.sock');
  const unix = /^unix:\/\/(\/.+)$/.exec(value);
  if (unix) return { socketPath: unix[1] };
  const tcp = /^(?:tcp|http|https):\/\/(\[[0-9a-fA-F:.]+\]|[^:/\s]+)(?::(\d{1,5}))?\/?$/.exec(value);
  if (!tcp) throw new ConfigError('DOCKER_HOST', value, 'unix:///path/to/docker.sock or tcp://host:port');
  const verify = reader.boolean('DOCKER_TLS_VERIFY', false);
  const host = (tcp[1] as string).replace(/^\[(.*)\]$/, '$1');
  const port = Number(tcp[2] ?? (verify ? 2376 : 2375));
  if (!verify) return { host, port };
  const directory = reader.string('DOCKER_CERT_PATH') ?? join(reader.string('HOME', '/root'), '.docker');
  try {
    const read = (file: string) => readFileSync(join(directory, file));
    return { host, port, tls: { ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem') } };
  } catch {
    throw new ConfigError('DOCKER_CERT_PATH', directory, 'a directory holding ca.pem, cert.pem and key.pem');
  }
}
