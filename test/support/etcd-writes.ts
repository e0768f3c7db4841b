import type { Etcd3 } from 'etcd3';

/**
 * Writes many keys quickly: puts are grouped into transactions (etcd allows 128 operations and
 * 1.5 MiB per request), a few transactions at a time, so each fsync carries many keys.
 */
export async function putAll(
  client: Etcd3,
  entries: readonly { key: string; value: string }[],
  concurrency = 4,
): Promise<void> {
  const batches: { key: string; value: string }[][] = [];
  let batch: { key: string; value: string }[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = entry.key.length + entry.value.length;
    if (batch.length > 0 && (batch.length === 100 || bytes + size > 1024 * 1024)) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(entry);
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);

  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const group = batches[next++]!;
      await client
        .if(group[0]!.key, 'Create', '>', -1)
        .then(...group.map((entry) => client.put(entry.key).value(entry.value)))
        .commit();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}
