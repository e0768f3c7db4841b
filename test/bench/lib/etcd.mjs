// A real etcd for a scenario: the tests' own EtcdServer, with room for large tables.
import { createEtcdClient } from '@wharf/core';
import { EtcdServer } from '../../support/etcd-server.ts';

export async function startEtcd() {
  const server = await EtcdServer.start({
    // Large tables are written in big transactions.
    args: ['--max-txn-ops=1024', '--quota-backend-bytes=4294967296'],
  });
  const client = createEtcdClient({ endpoints: [server.endpoint] });
  return {
    endpoint: server.endpoint,
    client,
    async close() {
      client.close();
      await server.close();
    },
  };
}
