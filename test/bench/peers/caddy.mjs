import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../support/ports.ts';
import { run, start, tempDir } from '../lib/processes.mjs';

/** Caddy `reverse_proxy`; GOMAXPROCS = workers is Go's equivalent of a worker count. */
export async function startCaddy({ backendPort, workers, cpus }) {
  const dir = tempDir('caddy');
  const port = await freePort();
  const config = `{
  admin off
  auto_https off
  storage file_system ${dir}/data
}
http://:${port} {
  bind 127.0.0.1
  reverse_proxy 127.0.0.1:${backendPort}
}
`;
  writeFileSync(join(dir, 'Caddyfile'), config);
  const handle = start(
    'caddy',
    'caddy',
    ['run', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'],
    {
      cpus,
      logDir: dir,
      env: { GOMAXPROCS: String(workers), HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir },
    },
  );
  return { handle, port };
}

export async function caddyVersion() {
  return (await run('caddy', ['version'])).trim().split(' ')[0];
}
