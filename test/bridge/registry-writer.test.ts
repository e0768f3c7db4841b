import { Writable } from 'node:stream';
import { type EtcdClient, EtcdGateway, KeyLayout } from '@wharf/core';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { RegistryWriter } from '../../packages/bridge/src/registry-writer.js';
import { type EtcdServer, useEtcd } from '../support/etcd-server.js';
import { endpointRecord } from '../support/records.js';
import { eventually } from '../support/wait.js';

const layout = new KeyLayout('/wharf-writer');
const bridge = { id: 'w1-bridge', node: 'w1', mode: 'host' as const, target: undefined };

/** A logger whose lines the test can read. */
function capturingLogger() {
  const lines: { msg: string; [field: string]: unknown }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

describe('RegistryWriter against a real etcd (through the JSON gateway)', () => {
  let etcd: EtcdServer;
  let client: EtcdClient;
  useEtcd((started) => {
    etcd = started.etcd;
    client = started.client;
  });

  it('reports a lost lease once, however many writes fail with it, and puts everything on a new one', async () => {
    const store = new EtcdGateway({ endpoints: [etcd.endpoint] });
    const { logger, lines } = capturingLogger();
    const writer = new RegistryWriter({ store, layout, bridge, ttlSeconds: 30, logger });
    const records = (port: number) =>
      Array.from({ length: 40 }, (_, index) =>
        endpointRecord({ service: 'web', id: `w1:web-${index}:80`, port: port + index, bridge: bridge.id }),
      );
    for (const record of records(10_000)) writer.register(record);
    const controller = new AbortController();
    const running = writer.run(controller.signal);
    try {
      await eventually(async () =>
        expect(Number(await client.getAll().prefix(layout.services).count())).toBe(40),
      );
      const lease = (await client.get(layout.bridgeKey(bridge.id)).exec()).kvs[0]?.lease as string;

      // The lease goes (an operator, or an expiry etcd noticed first) while 40 writes are due.
      await store.revokeLease(lease);
      for (const record of records(20_000)) writer.register(record);

      await eventually(async () => {
        const { kvs } = await client.getAll().prefix(layout.services).exec();
        expect(kvs.map((kv) => JSON.parse(kv.value.toString()).port as number).sort()).toEqual(
          records(20_000).map((record) => record.port),
        );
        expect(new Set(kvs.map((kv) => kv.lease))).toEqual(
          new Set([(await client.get(layout.bridgeKey(bridge.id)).exec()).kvs[0]?.lease]),
        );
      });
      expect(lines.filter((line) => line.msg === 'lease lost; granting a new one')).toHaveLength(1);
      expect(lines.filter((line) => line.msg === 'lease granted')).toHaveLength(2);
    } finally {
      controller.abort();
      await running;
      store.close();
    }
    // Stopping revoked the new lease: nothing of this bridge is left.
    expect(Number(await client.getAll().prefix(layout.root).count())).toBe(0);
  });
});
