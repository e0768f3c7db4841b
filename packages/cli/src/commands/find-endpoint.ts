import { assertValidName } from '@wharf/core';
import { NotFoundError } from '../cli-error.js';
import type { EndpointEntry, RegistrySnapshot } from '../registry-snapshot.js';

/** The registered endpoint with this instance id, whatever its service; refuses unknown ids. */
export function findEndpoint(snapshot: RegistrySnapshot, instanceId: string): EndpointEntry {
  assertValidName('instance id', instanceId);
  const found = snapshot.endpoints.find((entry) => entry.instanceId === instanceId);
  if (!found) {
    throw new NotFoundError(`no endpoint with instance id ${instanceId} is registered (see wharf ls)`);
  }
  return found;
}
