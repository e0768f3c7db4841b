// Docker CLI helpers; every container is named with the harness pid and removed at cleanup.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { removeContainers, run, trackContainer } from './processes.mjs';

export const RUN_ID = `wharf-bench-${process.pid}`;

export async function dockerAvailable() {
  try {
    await run('docker', ['info', '-f', '{{.ServerVersion}}'], { timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

export async function imageExists(image) {
  try {
    await run('docker', ['image', 'inspect', image]);
    return true;
  } catch {
    return false;
  }
}

/** `docker run -d` with labels and env (and `command` after the image); returns the container id. */
export async function runContainer({
  name,
  image = 'wharf/demo',
  labels = {},
  env = {},
  publish = [],
  args = [],
  command = [],
}) {
  trackContainer(name);
  const flags = [
    'run',
    '-d',
    '--name',
    name,
    '--label',
    `wharf.bench=${RUN_ID}`,
    ...Object.entries(labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]),
    ...Object.entries(env).flatMap(([key, value]) => ['-e', `${key}=${value}`]),
    ...publish.flatMap((spec) => ['-p', spec]),
    ...args,
    image,
    ...command,
  ];
  return (await run('docker', flags)).trim();
}

/** Runs `tasks` with at most `limit` in flight. */
export async function inBatches(items, limit, task) {
  const results = [];
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index], index);
    }
  });
  await Promise.all(workers);
  return results;
}

export { removeContainers };

/**
 * Follows `docker events` for containers carrying this run's label. Each event is
 * {action, name, id, timeMs} with Docker's own timestamp (timeNano) in epoch milliseconds.
 */
export function followEvents() {
  const child = spawn(
    'docker',
    [
      'events',
      '--format',
      '{{json .}}',
      '--filter',
      'type=container',
      '--filter',
      `label=wharf.bench=${RUN_ID}`,
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const events = [];
  const waiters = new Set();
  createInterface({ input: child.stdout }).on('line', (line) => {
    const raw = JSON.parse(line);
    const event = {
      action: raw.Action ?? raw.status,
      name: raw.Actor?.Attributes?.name,
      id: raw.id ?? raw.Actor?.ID,
      timeMs: Number(BigInt(raw.timeNano) / 1000n) / 1000,
    };
    events.push(event);
    for (const waiter of waiters) waiter(event);
  });
  return {
    events,
    /** Resolves with the first event (already seen or future) matching `predicate`. */
    waitFor(predicate, timeoutMs = 30_000) {
      const seen = events.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error('docker event not seen in time'));
        }, timeoutMs);
        const check = (event) => {
          if (!predicate(event)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(event);
        };
        waiters.add(check);
      });
    },
    close() {
      child.kill();
    },
  };
}
