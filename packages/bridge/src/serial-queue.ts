/**
 * Runs jobs one after another per key (a container id) and concurrently across keys, so the
 * events of one container are applied in the order Docker sent them.
 */
export class SerialQueue {
  readonly #tails = new Map<string, Promise<void>>();
  readonly #onError: (key: string, error: unknown) => void;

  constructor(onError: (key: string, error: unknown) => void) {
    this.#onError = onError;
  }

  enqueue(key: string, job: () => Promise<void>): Promise<void> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const tail = previous.then(job).catch((error: unknown) => this.#onError(key, error));
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return tail;
  }

  /** Resolves when every job queued so far has finished. */
  async idle(): Promise<void> {
    while (this.#tails.size > 0) await Promise.all(this.#tails.values());
  }

  get size(): number {
    return this.#tails.size;
  }
}
