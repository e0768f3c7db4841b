import type { EndpointRecord } from './records.js';

const ZONE_TAG = 'zone=';

/** An endpoint's zone: the value of its `zone=<z>` tag (the first, if it has several). */
export function zoneOf(record: Pick<EndpointRecord, 'tags'>): string | undefined {
  return record.tags.find((tag) => tag.startsWith(ZONE_TAG))?.slice(ZONE_TAG.length);
}

/**
 * The endpoints a client in `zone` should use: those in its zone while any exist, else all of
 * them — another zone answering beats no answer. Without a zone, all of them.
 */
export function preferZone<T extends Pick<EndpointRecord, 'tags'>>(
  records: readonly T[],
  zone: string | undefined,
): T[] {
  if (zone === undefined) return [...records];
  const local = records.filter((record) => zoneOf(record) === zone);
  return local.length > 0 ? local : [...records];
}
