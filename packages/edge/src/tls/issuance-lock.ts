import { randomUUID } from 'node:crypto';
import {
  type AcmeLockRecord,
  decodeAcmeLockRecord,
  type EtcdClient,
  encodeRecord,
  type KeyLayout,
  RECORD_VERSION,
} from '@wharf/core';

/** A held issuance lock: its key and the exact value written, which later writes are conditioned on. */
export interface HeldLock {
  readonly key: string;
  readonly value: string;
}

/**
 * One edge at a time issues a given certificate: the lock is a key on the edge's lease, created
 * only if absent (a transaction on its create revision). Returns the lock, or the record of the
 * edge that holds it.
 */
export async function acquireIssuanceLock(
  client: EtcdClient,
  layout: KeyLayout,
  name: string,
  leaseId: string,
  holder: string,
): Promise<{ readonly held: HeldLock } | { readonly heldBy: AcmeLockRecord | undefined }> {
  const key = layout.acmeKey('locks', name);
  // A nonce makes the value unique to this acquisition, so a stale holder can never match it.
  const record: AcmeLockRecord & { nonce: string } = {
    v: RECORD_VERSION,
    holder,
    since: new Date().toISOString(),
    nonce: randomUUID(),
  };
  const value = encodeRecord(record);
  const result = await client
    .if(key, 'Create', '==', 0)
    .then(client.put(key).value(value).lease(leaseId))
    .else(client.get(key))
    .commit();
  if (result.succeeded) return { held: { key, value } };
  const current = result.responses[0]?.response_range?.kvs[0]?.value;
  const decoded = current === undefined ? undefined : decodeAcmeLockRecord(current);
  return { heldBy: decoded?.ok ? decoded.record : undefined };
}

/** Deletes the lock if it is still this one. Never throws. */
export async function releaseIssuanceLock(client: EtcdClient, lock: HeldLock): Promise<void> {
  await client
    .if(lock.key, 'Value', '==', lock.value)
    .then(client.delete().key(lock.key))
    .commit()
    .catch(() => {});
}
