import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { connect } from 'node:net';
import { createEtcdClient, KeyLayout } from '@wharf/core';
import dnsPacket from 'dns-packet';
import type { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA_PLANES, dataPlaneEnv } from '../support/data-planes.js';
import { dig } from '../support/dig.js';
import { EtcdServer } from '../support/etcd-server.js';
import { freePort } from '../support/ports.js';
import { eventually } from '../support/wait.js';
import { putEndpoint } from './support/backends.js';
import { EdgeProcess } from './support/edge-process.js';

const layout = new KeyLayout(`/wharf-edge-dns-${process.pid}`);
const drainKey = (instanceId: string) => `${layout.drains}${instanceId}`;

/** Sends one UDP datagram and resolves with the answer, or undefined when none came within `waitMs`. */
async function udpExchange(port: number, message: Buffer, waitMs = 500): Promise<Buffer | undefined> {
  const socket = createSocket('udp4');
  try {
    socket.send(message, port, '127.0.0.1');
    const answer = once(socket, 'message').then(([data]) => data as Buffer);
    const silence = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), waitMs));
    return await Promise.race([answer, silence]);
  } finally {
    socket.close();
  }
}

/** Writes raw bytes on a TCP connection; resolves with what came back before the server closed it. */
function tcpExchange(
  port: number,
  bytes: Buffer,
  waitMs = 2_000,
): Promise<{ data: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ data: Buffer.concat(chunks), closed: false });
    }, waitMs);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ data: Buffer.concat(chunks), closed: true });
    });
    socket.on('error', () => {});
    socket.write(bytes);
  });
}

describe('wharf-edge DNS (real etcd, the edge as a child process, dig as the client)', () => {
  let etcd: EtcdServer;
  let client: Etcd3;
  let edge: EdgeProcess;
  let server: { host: string; port: number };

  beforeAll(async () => {
    etcd = await EtcdServer.start();
    client = createEtcdClient({ endpoints: [etcd.endpoint] });
    const dnsPort = await freePort();
    server = { host: '127.0.0.1', port: dnsPort };
    await putEndpoint(client, layout, 'db', 'n1:db-1:5432', 32768, { address: '10.0.0.5', protocol: 'tcp' });
    await putEndpoint(client, layout, 'db', 'n1:db-2:5432', 32769, {
      address: '10.0.0.5',
      protocol: 'tcp',
      tags: ['zone=eu-1a'],
    });
    await putEndpoint(client, layout, 'db', 'n2:db-3:5432', 5432, { address: '10.0.0.6', protocol: 'tcp' });
    await putEndpoint(client, layout, 'db', 'n2:db-4:5432', 5432, { address: 'fd00::7', protocol: 'tcp' });
    await putEndpoint(client, layout, 'db', 'n3:db-5:5432', 5432, {
      address: '10.0.0.9',
      protocol: 'tcp',
      state: 'draining',
    });
    for (let i = 0; i < 100; i++) {
      await putEndpoint(client, layout, 'big', `n1:big-${i}:80`, 8080, { address: `10.1.0.${i + 1}` });
    }
    edge = await EdgeProcess.start({
      etcd: etcd.endpoint,
      prefix: layout.prefix,
      env: { WHARF_DNS_LISTEN: `127.0.0.1:${dnsPort}`, WHARF_DNS_TTL: '3s' },
    });
  });
  afterAll(async () => {
    await edge?.kill();
    client?.close();
    await etcd?.close();
  });

  it('answers A and AAAA with the serving addresses, each once, authoritatively', async () => {
    const a = await dig(server, 'db.wharf', 'A');
    expect(a.status, a.output).toBe('NOERROR');
    expect(a.flags).toContain('aa');
    expect(a.flags).not.toContain('ra');
    expect(a.answer.map((record) => record.data[0]).sort()).toEqual(['10.0.0.5', '10.0.0.6']);
    expect(a.answer.every((record) => record.ttl === 3)).toBe(true);
    const aaaa = await dig(server, 'DB.Wharf.', 'AAAA', ['+tcp']);
    expect(aaaa.answer.map((record) => [record.name, record.data[0]])).toEqual([['DB.Wharf.', 'fd00::7']]);
  });

  it('answers SRV with ports and weights, and the targets in the additional section', async () => {
    const srv = await dig(server, '_db._tcp.wharf', 'SRV');
    expect(srv.status, srv.output).toBe('NOERROR');
    expect(srv.answer.map((record) => record.data.join(' ')).sort()).toEqual([
      '0 1 32768 0a000005.addr.wharf.',
      '0 1 32769 0a000005.addr.wharf.',
      '0 1 5432 0a000006.addr.wharf.',
      '0 1 5432 fd000000000000000000000000000007.addr.wharf.',
    ]);
    expect(srv.additional.map((record) => `${record.name} ${record.type} ${record.data[0]}`).sort()).toEqual([
      '0a000005.addr.wharf. A 10.0.0.5',
      '0a000006.addr.wharf. A 10.0.0.6',
      'fd000000000000000000000000000007.addr.wharf. AAAA fd00::7',
    ]);
    const target = await dig(server, '0a000006.addr.wharf', 'A');
    expect(target.answer.map((record) => record.data[0])).toEqual(['10.0.0.6']);
  });

  it('filters by tag, zone=eu-1a as zone-eu-1a.<service>', async () => {
    const tagged = await dig(server, 'zone-eu-1a.db.wharf', 'SRV');
    expect(tagged.answer.map((record) => record.data.join(' '))).toEqual(['0 1 32769 0a000005.addr.wharf.']);
  });

  it('answers NXDOMAIN for unknown names and NODATA for known ones without that type, with the SOA', async () => {
    const missing = await dig(server, 'nope.wharf', 'A');
    expect(missing.status).toBe('NXDOMAIN');
    expect(missing.authority.map((record) => [record.name, record.type, record.ttl])).toEqual([
      ['wharf.', 'SOA', 3],
    ]);
    const noData = await dig(server, 'db.wharf', 'MX');
    expect([noData.status, noData.answer.length]).toEqual(['NOERROR', 0]);
    expect(noData.authority.map((record) => record.type)).toEqual(['SOA']);
    const soa = await dig(server, 'wharf', 'SOA');
    expect(soa.answer[0]?.data.slice(0, 2)).toEqual(['ns.wharf.', 'hostmaster.wharf.']);
  });

  it('is no open resolver: names outside its domain are REFUSED', async () => {
    for (const name of ['example.com', 'wharf.example.com', '.']) {
      const refused = await dig(server, name, 'A');
      expect({ name, status: refused.status, answers: refused.answer.length }).toEqual({
        name,
        status: 'REFUSED',
        answers: 0,
      });
    }
  });

  it('truncates a large answer over UDP, and dig gets all of it over TCP', async () => {
    const udpOnly = await dig(server, 'big.wharf', 'A', ['+ignore', '+noedns']);
    expect(udpOnly.flags).toContain('tc');
    expect(udpOnly.answer).toHaveLength(0);
    const fallback = await dig(server, 'big.wharf', 'A');
    expect(fallback.output).toContain('Truncated, retrying in TCP mode');
    expect(fallback.answer).toHaveLength(100);
  });

  it('speaks EDNS0 (payload 1232) and answers BADVERS to version 1', async () => {
    const edns = await dig(server, 'db.wharf', 'A', ['+edns=0']);
    expect(edns.output).toMatch(/EDNS: version: 0, flags:; udp: 1232/);
    const badVersion = await dig(server, 'db.wharf', 'A', ['+edns=1', '+noednsnegotiation']);
    expect(badVersion.status).toBe('BADVERS');
  });

  it('follows the registry: a drain, a new endpoint and a removal show up within moments', async () => {
    await client
      .put(drainKey('n2:db-3:5432'))
      .value(JSON.stringify({ v: 1, service: 'db', at: new Date().toISOString() }));
    await eventually(async () => {
      const a = await dig(server, 'db.wharf', 'A');
      expect(a.answer.map((record) => record.data[0])).toEqual(['10.0.0.5']);
    });
    await client.delete().key(drainKey('n2:db-3:5432')).exec();
    await putEndpoint(client, layout, 'fresh', 'n1:fresh-1:80', 80, { address: '10.2.0.1' });
    await eventually(async () => {
      const a = await dig(server, 'fresh.wharf', 'A');
      expect(a.answer.map((record) => record.data[0])).toEqual(['10.2.0.1']);
    });
    await client.delete().key(layout.endpointKey('fresh', 'n1:fresh-1:80')).exec();
    await eventually(async () => expect((await dig(server, 'fresh.wharf', 'A')).status).toBe('NXDOMAIN'));
  });

  it('drops hostile packets, counts them, and keeps answering', async () => {
    const valid = dnsPacket.encode({ type: 'query', id: 1, questions: [{ name: 'db.wharf', type: 'A' }] });
    const header = (counts: number) => Buffer.from([0, 1, 0, 0, 0, counts, 0, counts, 0, counts, 0, counts]);
    const everything = Buffer.from(header(1));
    everything.fill(0xff, 4);
    const hostile = [
      Buffer.alloc(0),
      Buffer.from('garbage that is not dns at all'),
      Buffer.from([0x12, 0x34]),
      Buffer.concat([everything, valid.subarray(12)]), // 65,535 of every record
      Buffer.concat([header(1).fill(0, 6), Buffer.from([0xc0, 12, 0, 1, 0, 1])]), // a pointer to itself
      valid.subarray(0, 20), // a question cut short
      Buffer.alloc(4096, 0xff),
    ];
    for (const message of hostile) expect(await udpExchange(server.port, message, 300)).toBeUndefined();
    // A TCP connection that sends a bad message is closed; a huge length prefix waits for bytes that never come.
    const badTcp = await tcpExchange(server.port, Buffer.from('000cffffffffffffffffffffffff', 'hex'));
    expect(badTcp).toEqual({ data: Buffer.alloc(0), closed: true });
    expect((await dig(server, 'db.wharf', 'A')).status).toBe('NOERROR');
    expect((await dig(server, 'big.wharf', 'A', ['+ignore', '+noedns'])).flags).toContain('tc');
    expect(edge.child.exitCode).toBeNull();
    const metrics = await (await fetch(`${edge.adminUrl}/metrics`)).text();
    const dropped = [...metrics.matchAll(/wharf_edge_dns_dropped_total\{reason="(\w+)"\} (\d+)/g)];
    expect(Object.fromEntries(dropped.map(([, reason, count]) => [reason, Number(count)]))).toEqual({
      malformed: 6,
      response: 2, // the QR bit of 0xff… is set
    });
    expect(metrics).toMatch(/wharf_edge_dns_answers_total\{transport="udp",rcode="NOERROR"\} \d+/);
    expect(metrics).toMatch(/wharf_edge_dns_truncated_total [1-9]/);
  });

  it('stops the edge at start, naming the cause, when the DNS port is taken', async () => {
    const holder = createSocket('udp4');
    holder.bind(0, '127.0.0.1');
    await once(holder, 'listening');
    try {
      const blocked = await EdgeProcess.start({
        etcd: etcd.endpoint,
        prefix: layout.prefix,
        env: { WHARF_DNS_LISTEN: `127.0.0.1:${holder.address().port}` },
        waitReady: false,
      });
      expect(await blocked.exited).toBe(1);
      expect(blocked.log).toContain('EADDRINUSE');
    } finally {
      holder.close();
    }
  });
});

// DNS is the controller's, not the data plane's: whichever plane carries HTTP, the listener answers.
describe.each(DATA_PLANES)('wharf-edge DNS with the %s data plane', (plane) => {
  it('answers from the same registry', async () => {
    await using etcd = await EtcdServer.start();
    const client = createEtcdClient({ endpoints: [etcd.endpoint] });
    const dnsPort = await freePort();
    let edge: EdgeProcess | undefined;
    try {
      await putEndpoint(client, layout, 'api', 'n1:api-1:80', 8080, { address: '10.3.0.1' });
      edge = await EdgeProcess.start({
        etcd: etcd.endpoint,
        prefix: layout.prefix,
        env: { ...dataPlaneEnv(plane), WHARF_DNS_LISTEN: `127.0.0.1:${dnsPort}` },
      });
      const answer = await dig({ host: '127.0.0.1', port: dnsPort }, 'api.wharf', 'A');
      expect(answer.answer.map((record) => record.data[0])).toEqual(['10.3.0.1']);
    } finally {
      await edge?.kill();
      client.close();
    }
  });
});
