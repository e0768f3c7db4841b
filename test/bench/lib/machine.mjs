import { cpus, release, totalmem } from 'node:os';
import { caddyVersion } from '../peers/caddy.mjs';
import { haproxyVersion } from '../peers/haproxy.mjs';
import { nginxVersion } from '../peers/nginx.mjs';
import { redbirdVersion } from '../peers/redbird.mjs';
import { run } from './processes.mjs';

async function quietly(read) {
  try {
    return await read();
  } catch {
    return 'unavailable';
  }
}

/** What the figures were measured on. */
export async function describeMachine() {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    node: process.version,
    versions: {
      nginx: await quietly(nginxVersion),
      haproxy: await quietly(haproxyVersion),
      caddy: await quietly(caddyVersion),
      redbird: await quietly(redbirdVersion),
      wrk: await quietly(async () => (await run('dpkg-query', ['-W', 'wrk'])).trim().split('\t')[1]),
      dnsmasq: await quietly(
        async () => (await run('dpkg-query', ['-W', 'dnsmasq-base'])).trim().split('\t')[1],
      ),
      dnsperf: await quietly(async () => (await run('dpkg-query', ['-W', 'dnsperf'])).trim().split('\t')[1]),
      etcd: await quietly(async () => /etcd Version: (\S+)/.exec(await run('etcd', ['--version']))[1]),
      docker: await quietly(async () =>
        (await run('docker', ['version', '-f', '{{.Server.Version}}'])).trim(),
      ),
    },
  };
}
