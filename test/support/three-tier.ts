import { addressesVariable } from '@wharf/core';

/** One container of the three-tier demo: what `docker run` needs, whichever engine runs it. */
export interface TierContainer {
  readonly image: string;
  readonly entrypoint?: string;
  readonly command: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  /** The private port it serves on. */
  readonly port: number;
}

export interface ThreeTierOptions {
  /**
   * Makes the service names unique on a shared Docker Engine (`service-<suffix>`); without it,
   * the demo's own names (`client`, `service`, `memcached`).
   */
  readonly suffix?: string;
  /** The Host the edges route to the client. */
  readonly httpHost: string;
  /** Health-check interval of every tier (`wharf.check.interval`). */
  readonly checkInterval?: string;
}

/**
 * The three-tier demo of `./run.sh up` (docker/demo/client.mjs, service.mjs, wharf/memcached),
 * as the tests run it: `client` finds `service` through DNS (SRV, answered by the edge the
 * client's `--dns` names), `service` finds memcached through its update command. Nothing in
 * here names an address; only service names.
 */
export class ThreeTier {
  /** What an engine needs loaded to run every tier. */
  static readonly IMAGES = ['wharf/demo', 'wharf/memcached'] as const;
  readonly names: { readonly client: string; readonly service: string; readonly memcached: string };
  readonly httpHost: string;
  readonly #checkInterval: string;

  constructor(options: ThreeTierOptions) {
    const suffix = options.suffix === undefined ? '' : `-${options.suffix}`;
    this.names = {
      client: `client${suffix}`,
      service: `service${suffix}`,
      memcached: `memcached${suffix}`,
    };
    this.httpHost = options.httpHost;
    this.#checkInterval = options.checkInterval ?? '500ms';
  }

  memcached(): TierContainer {
    return {
      image: 'wharf/memcached',
      command: [],
      env: {},
      labels: { 'wharf.service': this.names.memcached, ...this.#check('tcp') },
      port: 11211,
    };
  }

  /** A service instance; its update command writes memcached's addresses and sends it SIGHUP. */
  service(instance: string): TierContainer {
    const variable = addressesVariable(this.names.memcached);
    return {
      image: 'wharf/demo',
      entrypoint: 'node',
      command: ['/app/service.mjs'],
      // It keeps serving while its bridge drains it and the client's DNS answers move on.
      env: { INSTANCE: instance, SHUTDOWN_DELAY_MS: '1500' },
      labels: {
        'wharf.service': this.names.service,
        'wharf.port': '8080',
        ...this.#check('http:/health'),
        'wharf.requires': this.names.memcached,
        'wharf.on-change': `echo "$${variable}" > /tmp/memcached.addrs && kill -HUP 1`,
      },
      port: 8080,
    };
  }

  /** A client instance; start it with `--dns` naming an edge. */
  client(instance: string): TierContainer {
    return {
      image: 'wharf/demo',
      entrypoint: 'node',
      command: ['/app/client.mjs'],
      env: {
        INSTANCE: instance,
        UPSTREAM_SRV: `_${this.names.service}._tcp.wharf`,
        SHUTDOWN_DELAY_MS: '1500',
      },
      labels: {
        'wharf.service': this.names.client,
        'wharf.port': '8080',
        'wharf.http.host': this.httpHost,
        ...this.#check('http:/health'),
      },
      port: 8080,
    };
  }

  /** What a client answers through the whole chain, for a memcached at `memcached` (`address:port`). */
  answerPattern(memcached?: string): RegExp {
    const at = memcached === undefined ? '[^)]+' : memcached.replaceAll('.', '\\.');
    return new RegExp(`^client \\S+ → service \\S+: hit \\d+ \\(memcached ${at}\\)\\n$`);
  }

  #check(kind: string): Record<string, string> {
    return { 'wharf.check': kind, 'wharf.check.interval': this.#checkInterval };
  }
}
