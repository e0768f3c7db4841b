// Scenario "https": HTTPS through wharf-edge, nginx and HAProxy with the same certificate, same
// backend, same load generator (h2load), interleaved rounds: requests/s over keep-alive
// connections (HTTP/1.1 and HTTP/2) and new TLS handshakes/s (one request per connection).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../support/ports.ts';
import { startEtcd } from '../lib/etcd.mjs';
import { run as runCommand, start, tempDir } from '../lib/processes.mjs';
import { progress } from '../lib/progress.mjs';
import { median, round } from '../lib/stats.mjs';
import { edgeBuilt, endpointRecord, putEndpoint, startEdge } from '../lib/wharf.mjs';
import { startBackend } from '../peers/nginx.mjs';

/** The name clients ask for (SNI and Host): loopback, so h2load needs no resolver tricks. */
const HOST = 'localhost';

/** One ECDSA P-256 certificate for every target, as ACME gives the edge. */
async function createCertificate() {
  const dir = tempDir('https-cert');
  await runCommand('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=${HOST}`,
    '-addext',
    `subjectAltName=DNS:${HOST}`,
    '-keyout',
    join(dir, 'bench.key'),
    '-out',
    join(dir, 'bench.crt'),
  ]);
  // HAProxy reads chain and key from one file.
  writeFileSync(
    join(dir, 'bench.pem'),
    readFileSync(join(dir, 'bench.crt'), 'utf8') + readFileSync(join(dir, 'bench.key'), 'utf8'),
  );
  return { dir, cert: join(dir, 'bench.crt'), key: join(dir, 'bench.key'), pem: join(dir, 'bench.pem') };
}

async function startNginxTls({ backendPort, certificate, cpus }) {
  const dir = tempDir('nginx-tls');
  const port = await freePort();
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off;
master_process on;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  keepalive_requests 1000000;
  upstream backend { server 127.0.0.1:${backendPort}; keepalive 256; }
  server {
    listen 127.0.0.1:${port} ssl http2 backlog=4096;
    ssl_certificate ${certificate.cert};
    ssl_certificate_key ${certificate.key};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache shared:SSL:10m;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-Proto https;
    }
  }
}
`,
  );
  const handle = start('nginx-tls', 'nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], {
    cpus,
    logDir: dir,
  });
  return { handle, port };
}

async function startHaproxyTls({ backendPort, certificate, cpus }) {
  const dir = tempDir('haproxy-tls');
  const port = await freePort();
  writeFileSync(
    join(dir, 'haproxy.cfg'),
    `global
  nbthread 1
  maxconn 8192
  ssl-default-bind-options ssl-min-ver TLSv1.2
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  http-reuse always
frontend bench
  bind 127.0.0.1:${port} ssl crt ${certificate.pem} alpn h2,http/1.1
  http-request set-header X-Forwarded-Proto https
  default_backend app
backend app
  server app1 127.0.0.1:${backendPort}
`,
  );
  const handle = start('haproxy-tls', 'haproxy', ['-W', '-db', '-f', join(dir, 'haproxy.cfg')], {
    cpus,
    logDir: dir,
  });
  return { handle, port };
}

/** One h2load run; returns requests/s and how many failed. */
async function h2load(url, args, cpus) {
  const command = cpus ? 'taskset' : 'h2load';
  const argv = cpus ? ['-c', cpus, 'h2load', ...args, url] : [...args, url];
  const output = await runCommand(command, argv);
  const rate = Number(/finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(output)?.[1] ?? Number.NaN);
  const failed = Number(
    /requests: \d+ total, \d+ started, \d+ done, \d+ succeeded, (\d+) failed/.exec(output)?.[1] ?? -1,
  );
  const status2xx = Number(/status codes: (\d+) 2xx/.exec(output)?.[1] ?? 0);
  return { rate, failed, status2xx };
}

/** The measurements: name → h2load arguments. */
function measurements(quick) {
  const requests = quick ? 20_000 : 60_000;
  const handshakes = quick ? 1_000 : 3_000;
  return {
    'HTTP/1.1 keep-alive req/s': ['--h1', '-n', String(requests), '-c', '32', '-t', '1'],
    'HTTP/2 keep-alive req/s': ['-n', String(requests), '-c', '16', '-m', '8', '-t', '1'],
    'HTTP/1.1 new TLS handshakes/s': ['--h1', '-n', String(handshakes), '-c', String(handshakes), '-t', '1'],
    'HTTP/2 new TLS handshakes/s': ['-n', String(handshakes), '-c', String(handshakes), '-t', '1'],
  };
}

export async function run({ options, signal }) {
  if (!edgeBuilt()) throw new Error('packages/edge/dist/main.js missing (run npx tsc -b)');
  // One core for the proxy under test, the other for h2load and the backend (as in "proxy").
  const cpus = { proxy: '1', load: '0', backend: '0' };
  const certificate = await createCertificate();
  const etcd = await startEtcd();
  try {
    const backend = await startBackend({ cpus: cpus.backend });
    const tlsPort = await freePort();
    const edge = await startEdge({
      etcd: etcd.endpoint,
      cpus: cpus.proxy,
      env: { WHARF_TLS_LISTEN: `127.0.0.1:${tlsPort}`, WHARF_TLS_CERTS: certificate.dir },
    });
    // The HAProxy data plane: the same certificate, taken through its Runtime API.
    const planeTlsPort = await freePort();
    const plane = await startEdge({
      etcd: etcd.endpoint,
      cpus: cpus.proxy,
      env: {
        WHARF_DATAPLANE: 'haproxy',
        WHARF_TLS_LISTEN: `127.0.0.1:${planeTlsPort}`,
        WHARF_TLS_CERTS: certificate.dir,
      },
      name: 'wharf-edge-haproxy',
    });
    await putEndpoint(
      etcd.client,
      endpointRecord({ service: 'bench', id: 'bench:backend:80', port: backend.port, hosts: [HOST] }),
    );
    const targets = [
      { name: 'wharf-edge', port: tlsPort, handle: edge.handle },
      { name: 'wharf-edge-haproxy', port: planeTlsPort, handle: plane.handle },
      {
        name: 'nginx',
        ...(await startNginxTls({ backendPort: backend.port, certificate, cpus: cpus.proxy })),
      },
      {
        name: 'haproxy',
        ...(await startHaproxyTls({ backendPort: backend.port, certificate, cpus: cpus.proxy })),
      },
    ];
    for (const target of targets) {
      target.url = `https://${HOST}:${target.port}/small`;
      for (let attempt = 0; ; attempt++) {
        const probe = await h2load(target.url, ['-n', '1', '-c', '1'], undefined).catch(() => ({
          status2xx: 0,
        }));
        if (probe.status2xx === 1) break;
        if (attempt > 100)
          throw new Error(`${target.name} does not answer HTTPS:\n${target.handle.log().slice(-1500)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    const rounds = options.quick ? 1 : options.rounds;
    const samples = {};
    for (let round_ = 0; round_ < rounds; round_++) {
      for (const [measurement, args] of Object.entries(measurements(options.quick))) {
        for (const target of targets) {
          if (signal.aborted) throw signal.reason;
          const result = await h2load(target.url, args, cpus.load);
          samples[measurement] ??= {};
          samples[measurement][target.name] ??= [];
          samples[measurement][target.name].push(result);
          progress(
            `https: round ${round_ + 1}/${rounds} ${target.name} ${measurement}: ${round(result.rate, 0)} (${result.failed} failed)`,
          );
        }
      }
    }
    const rows = Object.entries(samples).map(([measurement, byTarget]) => ({
      measurement,
      targets: Object.fromEntries(
        Object.entries(byTarget).map(([name, results]) => [
          name,
          {
            rate: round(median(results.map((result) => result.rate)), 0),
            failed: results.reduce((sum, r) => sum + r.failed, 0),
          },
        ]),
      ),
    }));
    return { rounds, host: HOST, certificate: 'ECDSA P-256, same file for every target', rows };
  } finally {
    // The processes stop with the scenario; etcd's client would keep the bench from exiting.
    await etcd.close();
  }
}

export function bars() {
  return [];
}

export function markdown(result) {
  const names = ['wharf-edge', 'wharf-edge-haproxy', 'nginx', 'haproxy'];
  const lines = [
    `HTTPS on one pinned core per proxy (1 worker/thread), same ECDSA P-256 certificate, same nginx backend; h2load on the other core; median of ${result.rounds} interleaved round(s). Handshakes: one request per new connection.`,
    '',
    `| measurement | ${names.join(' | ')} | wharf-edge / nginx | wharf-edge-haproxy / nginx |`,
    `|---|${names.map(() => '---:').join('|')}|---:|---:|`,
  ];
  for (const row of result.rows) {
    const cells = names.map((name) => {
      const target = row.targets[name];
      return target ? `${target.rate}${target.failed > 0 ? ` (${target.failed} failed)` : ''}` : '-';
    });
    const ratio = (name) =>
      row.targets[name] && row.targets.nginx
        ? (row.targets[name].rate / row.targets.nginx.rate).toFixed(2)
        : '-';
    lines.push(
      `| ${row.measurement} | ${cells.join(' | ')} | ${ratio('wharf-edge')} | ${ratio('wharf-edge-haproxy')} |`,
    );
  }
  return lines.join('\n');
}
