import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../support/ports.ts';
import { run, start, tempDir } from '../lib/processes.mjs';

/** HAProxy in HTTP mode with `nbthread` = workers; keep-alive to the backend is its default. */
export async function startHaproxy({ backendPort, workers, cpus }) {
  const dir = tempDir('haproxy');
  const port = await freePort();
  const config = `
global
  nbthread ${workers}
  maxconn 4096
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  option forwardfor
  http-reuse always
frontend bench
  bind 127.0.0.1:${port}
  default_backend app
backend app
  server app1 127.0.0.1:${backendPort}
`;
  writeFileSync(join(dir, 'haproxy.cfg'), config);
  const handle = start('haproxy', 'haproxy', ['-W', '-db', '-f', join(dir, 'haproxy.cfg')], {
    cpus,
    logDir: dir,
  });
  return { handle, port };
}

/**
 * HAProxy in front of one backend as an edge: only `host` (port and trailing dot aside) is
 * routed, anything else gets 404; its defaults otherwise (upgrades are tunnelled on a 101).
 */
export async function startHaproxyEdge({ backendPort, host }) {
  const dir = tempDir('haproxy-edge');
  const port = await freePort();
  const config = `
global
  maxconn 4096
defaults
  mode http
  timeout connect 5s
  timeout client 10s
  timeout server 10s
  timeout tunnel 10s
  option forwardfor
frontend edge
  bind 127.0.0.1:${port}
  acl routed req.hdr(host),lower,regsub(:[0-9]*$,),regsub('[.]$',) -m str ${host}
  http-request return status 404 unless routed
  default_backend app
backend app
  server app1 127.0.0.1:${backendPort}
`;
  writeFileSync(join(dir, 'haproxy.cfg'), config);
  const handle = start('haproxy-edge', 'haproxy', ['-W', '-db', '-f', join(dir, 'haproxy.cfg')], {
    logDir: dir,
  });
  return { handle, port };
}

export async function haproxyVersion() {
  const output = await run('haproxy', ['-v']);
  return /version (\S+)/.exec(output)?.[1] ?? 'unknown';
}
