import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createEtcdClient, KeyLayout } from '@wharf/core';
import type { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdServer } from '../support/etcd-server.js';
import { putEndpoint } from './support/backends.js';
import { EdgeProcess } from './support/edge-process.js';

const execFileAsync = promisify(execFile);
const layout = new KeyLayout(`/wharf-edge-dns-resolver-${process.pid}`);
const suffix = `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
const network = `wharf-dns-test-${suffix}`;
const IMAGE = 'debian:bookworm-slim';

async function docker(args: readonly string[]): Promise<string> {
  const { stdout } = await execFileAsync('docker', args, { timeout: 60_000 });
  return stdout;
}

/** The host's own address on a Docker network (its gateway): what `--dns` points containers at. */
async function gatewayOf(name: string): Promise<string> {
  const gateways = await docker([
    'network',
    'inspect',
    name,
    '-f',
    '{{range .IPAM.Config}}{{.Gateway}} {{end}}',
  ]);
  const address = gateways.split(' ').find((candidate) => /^\d+\.\d+\.\d+\.\d+$/.test(candidate));
  if (!address) throw new Error(`network ${name} has no IPv4 gateway (${gateways.trim()})`);
  return address;
}

/** Runs a shell script in a fresh Debian container whose resolver is `dns`; the container is removed. */
async function inContainer(dns: string, script: string, extra: readonly string[] = []): Promise<string> {
  const name = `wharf-dns-glibc-${suffix}-${Math.random().toString(36).slice(2, 6)}`;
  try {
    return await docker(['run', '--rm', '--name', name, '--dns', dns, ...extra, IMAGE, 'sh', '-c', script]);
  } finally {
    await docker(['rm', '-f', name]).catch(() => '');
  }
}

// glibc's resolver, in a real container started with `docker run --dns <edge>`, asking the edge's
// DNS listener on port 53 (resolv.conf has no port) of the host's address on a test network.
describe('wharf-edge DNS answers glibc in a container (docker run --dns)', () => {
  let etcd: EtcdServer;
  let client: Etcd3;
  let edge: EdgeProcess;
  let bridge: string;

  beforeAll(async () => {
    await docker(['network', 'create', '--label', 'wharf.test=dns', network]);
    bridge = await gatewayOf(network);
    etcd = await EtcdServer.start();
    client = createEtcdClient({ endpoints: [etcd.endpoint] });
    await putEndpoint(client, layout, 'db', 'n1:db-1:5432', 5432, { address: '10.0.0.5', protocol: 'tcp' });
    await putEndpoint(client, layout, 'db', 'n1:db-2:5432', 5432, { address: '10.0.0.6', protocol: 'tcp' });
    await putEndpoint(client, layout, 'db', 'n1:db-3:5432', 5432, {
      address: '10.0.0.7',
      protocol: 'tcp',
      state: 'draining',
    });
    // 60 A records do not fit in 512 bytes: glibc (no EDNS) gets a truncated answer and retries over TCP.
    for (let i = 1; i <= 60; i++) {
      await putEndpoint(client, layout, 'big', `n1:big-${i}:80`, 80, { address: `10.1.0.${i}` });
    }
    edge = await EdgeProcess.start({
      etcd: etcd.endpoint,
      prefix: layout.prefix,
      env: { WHARF_DNS_LISTEN: `${bridge}:53` },
    });
  });
  afterAll(async () => {
    await docker(['network', 'rm', network]).catch(() => '');
    await edge?.kill();
    client?.close();
    await etcd?.close();
  });

  it('resolves services by name, serving endpoints only, and large sets over TCP', async () => {
    // On Docker's default bridge, resolv.conf names the edge itself: glibc asks it directly.
    const output = await inContainer(
      bridge,
      'getent ahostsv4 db.wharf | cut -d" " -f1 | sort -u; echo ---; ' +
        'getent ahostsv4 big.wharf | cut -d" " -f1 | sort -u | wc -l; echo ---; ' +
        'getent hosts nope.wharf; echo "exit $?"',
      ['--network', 'bridge'],
    );
    const [db, big, nope] = output.split('---\n').map((part) => part.trim());
    expect(db?.split('\n')).toEqual(['10.0.0.5', '10.0.0.6']);
    expect(big).toBe('60');
    // getent: 2 is "not found".
    expect(nope).toBe('exit 2');
    const metrics = await (await fetch(`${edge.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/wharf_edge_dns_truncated_total [1-9]/);
    expect(metrics).toMatch(/wharf_edge_dns_answers_total\{transport="tcp",rcode="NOERROR"\} [1-9]/);
  });

  it('resolves through Docker’s embedded DNS on a user-defined network (what compose apps use)', async () => {
    const output = await inContainer(bridge, 'getent hosts db.wharf | cut -d" " -f1 | sort', [
      '--network',
      network,
    ]);
    expect(output.trim().split('\n')).toEqual(['10.0.0.5', '10.0.0.6']);
  });
});
