import type { EtcdClient } from './etcd-client.js';
import { type EtcdStore, prefixEnd, type StoredKeyValue } from './etcd-store.js';
import { toEtcdStore } from './etcd3-store.js';

export interface PrefixListing {
  readonly kvs: StoredKeyValue[];
  /** The etcd revision every page was read at. */
  readonly revision: number;
}

/** Keys per range request: one unpaged read of a large registry exceeds gRPC's 4 MiB reply limit. */
const PAGE_SIZE = 500;

/**
 * Every key under `prefix`, read page by page at the first page's revision, so the result is one
 * consistent snapshot however large the registry grows.
 */
export async function listPrefix(
  client: EtcdClient | EtcdStore,
  prefix: string,
  signal?: AbortSignal,
): Promise<PrefixListing> {
  const store = toEtcdStore(client);
  const end = prefixEnd(prefix);
  const kvs: StoredKeyValue[] = [];
  let start = prefix;
  let revision: number | undefined;
  for (;;) {
    const page = await store.range(start, { end, limit: PAGE_SIZE, revision });
    revision ??= page.revision;
    kvs.push(...page.kvs);
    const last = page.kvs.at(-1);
    if (!page.more || !last || signal?.aborted) return { kvs, revision };
    // The smallest key after the last one read.
    start = `${last.key}\u0000`;
  }
}
