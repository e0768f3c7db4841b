import { Waiters } from './waiters.js';

/**
 * Requests waiting for a newer route table that changes their route's host: one on a held
 * route (its last serving endpoint went away, a replacement may come), or one whose endpoints
 * all failed just before the registry noticed. Only the hosts a table changed are woken, so a
 * busy registry does not stir every waiting request.
 */
export class HostChanges {
  readonly #byHost = new Map<string, Waiters>();

  /** Requests waiting, over every host. */
  get size(): number {
    let size = 0;
    for (const waiters of this.#byHost.values()) size += waiters.size;
    return size;
  }

  /** Resolves true when a table changing `host` arrives, false after `timeoutMs`. */
  async wait(host: string, timeoutMs: number): Promise<boolean> {
    let waiters = this.#byHost.get(host);
    if (waiters === undefined) {
      waiters = new Waiters();
      this.#byHost.set(host, waiters);
    }
    try {
      return await waiters.wait(timeoutMs);
    } finally {
      if (waiters.size === 0 && this.#byHost.get(host) === waiters) this.#byHost.delete(host);
    }
  }

  /** A new table changed these hosts (route hosts, wildcards as `*.example.com`). */
  changed(hosts: readonly string[]): void {
    if (this.#byHost.size === 0) return;
    for (const host of hosts) this.#byHost.get(host)?.wake();
  }
}
