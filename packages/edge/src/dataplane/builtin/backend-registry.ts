import { Backend, type BackendOptions } from './backend.js';

/**
 * Backends by `address:port`. The route-table builder says which backends it started and stopped
 * using; a backend is created on first use and retired only when no endpoint names it, so
 * connection pools and passive-health counters survive every rebuild in between.
 */
export class BackendRegistry {
  readonly #backends = new Map<string, Backend>();
  readonly #options: BackendOptions;

  constructor(options: BackendOptions = {}) {
    this.#options = options;
  }

  get size(): number {
    return this.#backends.size;
  }

  get(key: string): Backend {
    let backend = this.#backends.get(key);
    if (backend === undefined) {
      backend = new Backend(key, this.#options);
      this.#backends.set(key, backend);
    }
    return backend;
  }

  peek(key: string): Backend | undefined {
    return this.#backends.get(key);
  }

  update(added: readonly string[], removed: readonly string[]): void {
    for (const key of added) this.get(key);
    for (const key of removed) {
      this.#backends.get(key)?.retire();
      this.#backends.delete(key);
    }
  }

  values(): IterableIterator<Backend> {
    return this.#backends.values();
  }

  close(): void {
    for (const backend of this.#backends.values()) {
      backend.retire();
      backend.destroy();
    }
    this.#backends.clear();
  }
}
