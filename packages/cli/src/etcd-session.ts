import { createEtcdClient, type EtcdClient, type EtcdConfig, EtcdUnavailableError } from '@wharf/core';

export type { EtcdClient };

/**
 * A CLI answers or fails within seconds: a short dial and call deadline instead of the
 * client's 30 s defaults, so an unreachable etcd is reported promptly.
 */
export const CLI_ETCD_TIMEOUTS = { dialTimeoutMs: 2_000, callTimeoutMs: 3_000 } as const;

export function createCliEtcdClient(config: EtcdConfig): EtcdClient {
  return createEtcdClient(config, CLI_ETCD_TIMEOUTS);
}

/**
 * Runs one etcd call and maps any failure to `EtcdUnavailableError` naming the endpoints and
 * what failed, in one line.
 */
export async function etcdCall<T>(config: EtcdConfig, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (cause) {
    throw new EtcdUnavailableError(
      `cannot ${what}: etcd at ${config.endpoints.join(', ')}: ${describeEtcdFailure(cause)}`,
      { cause },
    );
  }
}

/** The useful part of a gRPC / etcd3 error message, on one line. */
export function describeEtcdFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const text = message
    .replace(/^\d+ ([A-Z_]+): /, '$1: ')
    .replace(/\.?\s*Resolution note:.*$/s, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (/DEADLINE_EXCEEDED|deadline/i.test(text))
    return `no answer within ${CLI_ETCD_TIMEOUTS.callTimeoutMs / 1000}s (${text})`;
  return text || (error instanceof Error ? error.name : 'unknown error');
}
