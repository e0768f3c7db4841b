/**
 * Calls `listener` once when `signal` aborts — at once if it already has. A plain
 * `addEventListener('abort')` after an await misses an abort that happened during the await,
 * and the part waiting on it never stops. Returns a function that removes the listener.
 */
export function whenAborted(signal: AbortSignal, listener: () => void): () => void {
  if (signal.aborted) {
    listener();
    return () => {};
  }
  signal.addEventListener('abort', listener, { once: true });
  return () => signal.removeEventListener('abort', listener);
}

/** Resolves when `signal` aborts (at once if it already has); never rejects. */
export function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    whenAborted(signal, resolve);
  });
}
