/**
 * Runs parts that share one lifecycle (`run(signal)`) until `signal` aborts; if one fails (a
 * port in use), the others are stopped too instead of running alone, and the first failure is
 * thrown once all have finished.
 */
export async function runTogether(
  signal: AbortSignal,
  parts: readonly ((signal: AbortSignal) => Promise<void>)[],
): Promise<void> {
  const together = new AbortController();
  const stop = () => together.abort();
  signal.addEventListener('abort', stop, { once: true });
  if (signal.aborted) stop();
  try {
    const results = await Promise.allSettled(
      parts.map((run) =>
        run(together.signal).catch((error: unknown) => {
          stop();
          throw error;
        }),
      ),
    );
    const failure = results.find((result) => result.status === 'rejected');
    if (failure) throw failure.reason;
  } finally {
    signal.removeEventListener('abort', stop);
  }
}
