import { type DrainRecord, encodeRecord, RECORD_VERSION } from '@wharf/core';
import type { CommandContext } from '../command-context.js';
import { etcdCall } from '../etcd-session.js';
import { readRegistrySnapshot } from '../registry-snapshot.js';
import { findEndpoint } from './find-endpoint.js';

/**
 * `wharf drain <instance-id>`: asks the owning bridge to keep the endpoint `draining` (the edge
 * stops sending it new requests) until `wharf undrain`. The key has no lease: an operator's
 * decision outlives bridge restarts.
 */
export async function drainCommand(
  context: CommandContext,
  instanceId: string,
  reason: string | undefined,
): Promise<void> {
  const { config, client } = context;
  const snapshot = await etcdCall(config.etcd, 'read the registry', () =>
    readRegistrySnapshot(client, config.layout),
  );
  const endpoint = findEndpoint(snapshot, instanceId);
  const record: DrainRecord = {
    v: RECORD_VERSION,
    service: endpoint.service,
    ...(reason ? { reason } : {}),
    at: new Date(context.now()).toISOString(),
  };
  const key = config.layout.drainKey(instanceId);
  await etcdCall(config.etcd, 'write the drain', () => client.put(key).value(encodeRecord(record)).exec());
  context.write(
    context.json
      ? `${JSON.stringify({ key, record })}\n`
      : `drained ${endpoint.service} ${instanceId}${reason ? ` (${reason})` : ''}; undo with: wharf undrain ${instanceId}\n`,
  );
}
