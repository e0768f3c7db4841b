// A real etcd (Debian's etcd-server) on free loopback ports, as test/support/etcd-server.ts does.
import { setTimeout as sleep } from 'node:timers/promises';
import { Etcd3 } from 'etcd3';
import { freePort } from './ports.mjs';
import { start, tempDir } from './processes.mjs';

export async function startEtcd(name = 'etcd') {
  const dataDir = tempDir('etcd');
  const clientPort = await freePort();
  const peerPort = await freePort();
  const endpoint = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const member = `bench-${process.pid}`;
  const handle = start(
    name,
    'etcd',
    [
      `--name=${member}`,
      `--data-dir=${dataDir}/data`,
      `--listen-client-urls=${endpoint}`,
      `--advertise-client-urls=${endpoint}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=${member}=${peer}`,
      '--log-level=error',
      '--logger=zap',
      // Large tables are written in big transactions.
      '--max-txn-ops=1024',
      '--quota-backend-bytes=4294967296',
    ],
    { logDir: dataDir },
  );
  const client = new Etcd3({ hosts: endpoint, dialTimeout: 1_000 });
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await client
        .get('/bench-probe')
        .options({ deadline: Date.now() + 1_000 })
        .string();
      break;
    } catch (error) {
      if (!handle.running) throw new Error(`etcd exited at start:\n${handle.log()}`);
      if (Date.now() > deadline) throw error;
      await sleep(100);
    }
  }
  return {
    endpoint,
    client,
    async close() {
      client.close();
      await handle.stop('SIGKILL');
    },
  };
}
