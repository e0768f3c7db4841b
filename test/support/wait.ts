import { vi } from 'vitest';

/** `vi.waitFor` with the timeouts integration tests want: poll every 25 ms, up to `timeout`. */
export function eventually<T>(check: () => T | Promise<T>, timeout = 10_000): Promise<T> {
  return vi.waitFor(check, { timeout, interval: 25 });
}
