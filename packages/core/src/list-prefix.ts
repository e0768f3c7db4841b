import { type Etcd3, type IKeyValue, Range } from 'etcd3';

export interface PrefixListing {
  readonly kvs: IKeyValue[];
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
  client: Etcd3,
  prefix: string,
  signal?: AbortSignal,
): Promise<PrefixListing> {
  const end = Range.prefix(prefix).end;
  const kvs: IKeyValue[] = [];
  let start = Buffer.from(prefix);
  let revision: string | undefined;
  for (;;) {
    const page = client.getAll().inRange({ start, end }).limit(PAGE_SIZE);
    if (revision !== undefined) page.revision(revision);
    const response = await page.exec();
    revision ??= response.header.revision;
    kvs.push(...response.kvs);
    const last = response.kvs.at(-1);
    if (!response.more || !last || signal?.aborted) return { kvs, revision: Number(revision) };
    start = Buffer.concat([last.key, Buffer.from([0])]);
  }
}
