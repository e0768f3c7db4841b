// nginx, both as the shared backend (static files) and as a reverse-proxy peer.
import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../support/ports.ts';
import { waitForHttp } from '../lib/http.mjs';
import { start, tempDir } from '../lib/processes.mjs';

export const SMALL_BODY = 'hello from the bench backend\n';
export const LARGE_BODY = 'x'.repeat(16 * 1024 - 1) + '\n';

function baseConfig(dir, workers, server) {
  return `
daemon off;
master_process on;
worker_processes ${workers};
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 120s;
  ${server}
}
`;
}

/**
 * The backend every target shares: nginx serving two static files. It is C and answers from
 * the page cache, so one worker serves several times what any Node proxy can push through.
 */
export async function startBackend({ workers = 1, cpus } = {}) {
  const dir = tempDir('backend');
  const port = await freePort();
  writeFileSync(join(dir, 'small'), SMALL_BODY);
  writeFileSync(join(dir, '16k'), LARGE_BODY);
  // Workers drop privileges when started as root; they must still read the files.
  chmodSync(dir, 0o755);
  const config = baseConfig(
    dir,
    workers,
    `server {
    listen 127.0.0.1:${port} reuseport backlog=4096;
    root ${dir};
    sendfile on;
    tcp_nopush on;
    open_file_cache max=16;
    location / { default_type text/plain; }
  }`,
  );
  writeFileSync(join(dir, 'nginx.conf'), config);
  const handle = start('backend-nginx', 'nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], {
    cpus,
    logDir: dir,
  });
  await waitForHttp(`http://127.0.0.1:${port}/small`);
  return { handle, port, url: `http://127.0.0.1:${port}` };
}

export async function startNginxProxy({ backendPort, workers, cpus }) {
  const dir = tempDir('nginx');
  const port = await freePort();
  const config = baseConfig(
    dir,
    workers,
    `upstream backend {
    server 127.0.0.1:${backendPort};
    keepalive 256;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:${port} backlog=4096;
    server_name bench.local;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
  }`,
  );
  writeFileSync(join(dir, 'nginx.conf'), config);
  const handle = start('nginx', 'nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], { cpus, logDir: dir });
  return { handle, port };
}

/**
 * nginx in front of one backend the way it is set up as an edge with WebSockets (the recipe
 * of nginx's WebSocket proxying docs): only `host` is routed (anything else 404), Host is passed
 * as the client sent it, Upgrade and `Connection: upgrade` are passed on when the client asks.
 */
export async function startNginxEdge({ backendPort, host }) {
  const dir = tempDir('nginx-edge');
  const port = await freePort();
  const config = baseConfig(
    dir,
    1,
    `map $http_upgrade $connection_upgrade {
    default upgrade;
    '' close;
  }
  upstream backend {
    server 127.0.0.1:${backendPort};
  }
  server {
    listen 127.0.0.1:${port} default_server;
    return 404;
  }
  server {
    listen 127.0.0.1:${port};
    server_name ${host};
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Host $http_host;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
  }`,
  );
  writeFileSync(join(dir, 'nginx.conf'), config);
  const handle = start('nginx-edge', 'nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], { logDir: dir });
  return { handle, port };
}

export function nginxVersion() {
  // nginx prints its version on stderr.
  const { stderr } = spawnSync('nginx', ['-v'], { encoding: 'utf8' });
  return stderr.trim().replace('nginx version: ', '');
}
