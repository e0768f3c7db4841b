// Progress goes to stderr so stdout stays free for a final summary.
const startedAt = Date.now();

export function progress(message) {
  const elapsed = ((Date.now() - startedAt) / 1000).toFixed(0).padStart(4);
  process.stderr.write(`[bench ${elapsed}s] ${message}\n`);
}
