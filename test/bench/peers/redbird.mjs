import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../support/ports.ts';
import { start } from '../lib/processes.mjs';

const server = join(dirname(fileURLToPath(import.meta.url)), 'redbird-server.mjs');

/** redbird (http-proxy based) with upstream keep-alive; more than one worker uses its cluster option. */
export async function startRedbird({ backendPort, workers, cpus }) {
  const port = await freePort();
  const handle = start('redbird', process.execPath, [server], {
    cpus,
    env: {
      BENCH_PORT: String(port),
      BENCH_BACKEND: `http://127.0.0.1:${backendPort}`,
      BENCH_WORKERS: String(workers),
    },
  });
  return { handle, port };
}

export function redbirdVersion() {
  return createRequire(import.meta.url)('redbird/package.json').version;
}
