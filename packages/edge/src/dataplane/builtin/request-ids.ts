import { randomBytes } from 'node:crypto';

/**
 * Request ids unique across processes and restarts without per-request randomness: a random
 * per-process prefix and a counter.
 */
export class RequestIds {
  readonly #prefix = randomBytes(4).toString('hex');
  #counter = 0;

  next(): string {
    this.#counter += 1;
    return `${this.#prefix}-${this.#counter.toString(36)}`;
  }
}
