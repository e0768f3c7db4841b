import { assertValidName } from '@wharf/core';
import type { CommandContext } from '../command-context.js';
import { etcdCall } from '../etcd-session.js';

/**
 * `wharf undrain <instance-id>`: removes the operator drain. Works whether or not the endpoint is
 * still registered, and is idempotent (undraining twice is not an error).
 */
export async function undrainCommand(context: CommandContext, instanceId: string): Promise<void> {
  const { config, client } = context;
  assertValidName('instance id', instanceId);
  const key = config.layout.drainKey(instanceId);
  const response = await etcdCall(config.etcd, 'delete the drain', () => client.delete().key(key).exec());
  const removed = Number(response.deleted) > 0;
  context.write(
    context.json
      ? `${JSON.stringify({ key, removed })}\n`
      : removed
        ? `undrained ${instanceId}\n`
        : `${instanceId} was not drained\n`,
  );
}
