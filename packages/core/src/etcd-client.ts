import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Etcd3, IOptions } from 'etcd3';
import type { EtcdConfig } from './common-config.js';

/** The full etcd v3 client (gRPC) that the edge and the CLI use. */
export type EtcdClient = Etcd3;

const require = createRequire(import.meta.url);

export interface EtcdClientOptions {
  /** Deadline for unary calls, in ms. Streams (watch, keep-alive) have none. */
  readonly callTimeoutMs?: number;
  readonly dialTimeoutMs?: number;
  /**
   * Cap on gRPC's own reconnect backoff (its default grows to 120 s), for programs that must be
   * back within a second or two of etcd returning. Unset keeps gRPC's defaults.
   */
  readonly maxReconnectBackoffMs?: number;
}

/**
 * An etcd v3 client from `WHARF_ETCD*` settings: endpoints, username/password and TLS (CA,
 * client certificate and key). wharf's own loops do the reconnecting with their own backoff, so
 * the client is set to fail fast: a short call deadline, one retry on another endpoint, and a
 * per-endpoint breaker that tries again after a second.
 */
export function createEtcdClient(config: EtcdConfig, options: EtcdClientOptions = {}): EtcdClient {
  // Loaded on first use, not with @wharf/core: etcd3, grpc-js and protobufjs cost a process about
  // 17 MB, which a program that reaches etcd another way (the bridge) never pays.
  const { Etcd3, isRecoverableError } = require('etcd3') as typeof import('etcd3');
  const { ConsecutiveBreaker, circuitBreaker, handleWhen, retry } =
    require('cockatiel') as typeof import('cockatiel');
  const callTimeoutMs = options.callTimeoutMs ?? 5_000;
  const clientOptions: IOptions = {
    hosts: [...config.endpoints],
    dialTimeout: options.dialTimeoutMs ?? 3_000,
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + callTimeoutMs }),
    faultHandling: {
      global: retry(handleWhen(isRecoverableError), { maxAttempts: config.endpoints.length > 1 ? 2 : 0 }),
      host: () =>
        circuitBreaker(handleWhen(isRecoverableError), {
          halfOpenAfter: 1_000,
          breaker: new ConsecutiveBreaker(3),
        }),
    },
    grpcOptions: {
      // A member that stops answering (frozen, partitioned) must be noticed well inside a
      // 10 s lease TTL, so keep-alives move to another member in time: ping every 6 s, give
      // up after 2.5 s. etcd answers pings more often than every 5 s, or any ping on a
      // connection without calls, with too_many_pings and drops the connection; the agents
      // always hold a watch or lease stream, so pings run whenever it matters.
      'grpc.keepalive_time_ms': 6_000,
      'grpc.keepalive_timeout_ms': 2_500,
      'grpc.keepalive_permit_without_calls': 0,
      ...(options.maxReconnectBackoffMs === undefined
        ? {}
        : {
            'grpc.initial_reconnect_backoff_ms': Math.min(200, options.maxReconnectBackoffMs),
            'grpc.max_reconnect_backoff_ms': options.maxReconnectBackoffMs,
          }),
      // etcd accepts values up to 1.5 MiB; gRPC's default 4 MiB reply limit would let three such
      // values in one list page make the whole list fail.
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
    },
  };
  if (config.username !== undefined && config.password !== undefined) {
    clientOptions.auth = { username: config.username, password: config.password };
  }
  if (config.ca !== undefined || config.cert !== undefined) {
    const credentials: NonNullable<IOptions['credentials']> = {
      // null means "the system's roots" to grpc-js; etcd3 types it as a Buffer only.
      rootCertificate: config.ca ? readFileSync(config.ca) : (null as unknown as Buffer),
    };
    if (config.cert && config.key) {
      credentials.certChain = readFileSync(config.cert);
      credentials.privateKey = readFileSync(config.key);
    }
    clientOptions.credentials = credentials;
  }
  return new Etcd3(clientOptions);
}
