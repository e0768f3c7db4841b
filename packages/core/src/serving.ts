import type { EndpointRecord } from './records.js';

/**
 * The one answer to "does this endpoint take new requests?", for every reader (edge, DNS,
 * `watchService`, `wharf wait`, the CLI, the dashboard): its bridge says `serving` and no
 * operator drain (`<prefix>/drains/<instance-id>`, `wharf drain`) exists for it. A drain takes
 * effect here at once, without waiting for the bridge to rewrite the record.
 */
export function isServing(record: Pick<EndpointRecord, 'state'>, drained: boolean): boolean {
  return record.state === 'serving' && !drained;
}
