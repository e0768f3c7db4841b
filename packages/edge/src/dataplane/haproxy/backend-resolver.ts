import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Logger } from '@wharf/core';
import { silentLogger } from '@wharf/core';
import { refuseResolved } from '../../routing/backend-address.js';

export type Lookup = (hostname: string) => Promise<readonly { address: string; family: number }[]>;

export interface BackendResolverOptions {
  readonly allowLinkLocal: boolean;
  readonly lookup?: Lookup;
  readonly logger?: Logger;
}

interface Answer {
  /** The address to connect to; undefined when the name did not resolve or resolved somewhere refused. */
  readonly address: string | undefined;
  readonly reason: string | undefined;
}

/**
 * DNS names in endpoint records, resolved by the edge rather than by HAProxy, so wharf's
 * address checks apply to what a name resolves to: a name with any refused address (link-local
 * or metadata, unspecified, multicast) is not used at all, as the built-in plane refuses the
 * connection. IP literals pass through (the route-table builder has checked them). Answers are
 * kept until `refresh` asks again.
 */
export class BackendResolver {
  readonly #allowLinkLocal: boolean;
  readonly #lookup: Lookup;
  readonly #logger: Logger;
  readonly #answers = new Map<string, Answer>();

  constructor(options: BackendResolverOptions) {
    this.#allowLinkLocal = options.allowLinkLocal;
    this.#lookup = options.lookup ?? ((hostname) => dnsLookup(hostname, { all: true }));
    this.#logger = (options.logger ?? silentLogger).child({ component: 'backend-resolver' });
  }

  /** The IP to use for `address` (known names only; see `prepare`). */
  resolve(address: string): string | undefined {
    if (isIP(address) !== 0) return address;
    return this.#answers.get(address)?.address;
  }

  /** Resolves the names among `addresses` that have no answer yet. */
  async prepare(addresses: Iterable<string>): Promise<void> {
    const names = new Set<string>();
    for (const address of addresses)
      if (isIP(address) === 0 && !this.#answers.has(address)) names.add(address);
    await Promise.all([...names].map((name) => this.#ask(name)));
  }

  /** Asks again for every known name; returns those whose answer changed. */
  async refresh(): Promise<Set<string>> {
    const changed = new Set<string>();
    await Promise.all(
      [...this.#answers.keys()].map(async (name) => {
        const before = this.#answers.get(name)?.address;
        await this.#ask(name);
        if (this.#answers.get(name)?.address !== before) changed.add(name);
      }),
    );
    return changed;
  }

  /** Forgets names no endpoint uses any more. */
  retain(inUse: ReadonlySet<string>): void {
    for (const name of this.#answers.keys()) if (!inUse.has(name)) this.#answers.delete(name);
  }

  async #ask(name: string): Promise<void> {
    const previous = this.#answers.get(name);
    let answer: Answer;
    try {
      const resolved = await this.#lookup(name);
      let reason: string | undefined;
      for (const entry of resolved) {
        reason = refuseResolved(entry.address, entry.family === 6 ? 'ipv6' : 'ipv4', this.#allowLinkLocal);
        if (reason !== undefined) {
          reason = `${name} resolved to ${entry.address}: ${reason}`;
          break;
        }
      }
      answer =
        reason === undefined && resolved[0] !== undefined
          ? { address: resolved[0].address, reason: undefined }
          : { address: undefined, reason: reason ?? `${name} resolved to no address` };
    } catch (error) {
      answer = { address: undefined, reason: `${name} did not resolve: ${(error as Error).message}` };
    }
    this.#answers.set(name, answer);
    if (answer.reason !== undefined && answer.reason !== previous?.reason) {
      this.#logger.warn({ name, reason: answer.reason }, 'refusing backend name');
    }
  }
}
