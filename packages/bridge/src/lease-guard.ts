import type { createEtcdClient, Logger } from '@wharf/core';

type Lease = ReturnType<ReturnType<typeof createEtcdClient>['lease']>;

/**
 * etcd3 keeps a lease alive over one stream to one etcd member, and notices a member that
 * stopped answering (frozen, partitioned without a reset) only after a whole TTL — when the
 * lease, and every key on it, is already gone. Whenever a keep-alive round (TTL/3) passes
 * without a renewal, this renews once more through whichever member answers, with a deadline
 * short enough to try again before the TTL runs out. Returns a function that stops it.
 */
export function guardLease(lease: Lease, ttlSeconds: number, logger: Logger): () => void {
  const roundMs = (ttlSeconds * 1_000) / 3;
  let lastRenewal = Date.now();
  let renewing = false;
  const renewed = () => {
    lastRenewal = Date.now();
  };
  lease.on('keepaliveSucceeded', renewed);
  const timer = setInterval(() => {
    if (renewing || Date.now() - lastRenewal < roundMs * 1.5) return;
    renewing = true;
    lease
      .keepaliveOnce({ deadline: Date.now() + roundMs / 2 })
      .then(() => {
        renewed();
        logger.info({ ttlSeconds }, 'lease renewed past a silent etcd member');
      })
      .catch((error: unknown) => logger.debug({ err: error }, 'lease renewal attempt failed'))
      .finally(() => {
        renewing = false;
      });
  }, roundMs / 2);
  timer.unref();
  return () => {
    clearInterval(timer);
    lease.off('keepaliveSucceeded', renewed);
  };
}
