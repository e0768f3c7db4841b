import type { DrainRecord, EndpointRecord, RegistryChange } from '@wharf/core';
import dnsPacket, { type Answer, type DecodedPacket, type Packet } from 'dns-packet';
import { beforeEach, describe, expect, it } from 'vitest';
import { DnsIndex } from './dns-index.js';
import { DnsResponder } from './dns-responder.js';

function endpoint(fields: Partial<EndpointRecord> & Pick<EndpointRecord, 'service' | 'id'>): EndpointRecord {
  return {
    v: 1,
    address: '10.0.0.1',
    port: 8080,
    protocol: 'tcp',
    node: 'n1',
    bridge: 'n1-bridge',
    tags: [],
    weight: 1,
    routes: [],
    state: 'serving',
    registeredAt: '2026-01-01T00:00:00.000Z',
    ...fields,
  };
}

const keyOf = (record: EndpointRecord) => `/wharf/services/${record.service}/${record.id}`;
const put = (record: EndpointRecord): RegistryChange => ({
  kind: 'endpoint',
  key: keyOf(record),
  parsed: { kind: 'endpoint', service: record.service, instanceId: record.id },
  current: record,
  previous: undefined,
});
const remove = (record: EndpointRecord): RegistryChange => ({
  kind: 'endpoint',
  key: keyOf(record),
  parsed: { kind: 'endpoint', service: record.service, instanceId: record.id },
  current: undefined,
  previous: record,
});
const drain = (instanceId: string, on: boolean): RegistryChange => {
  const record: DrainRecord = { v: 1, service: 'db', at: '2026-01-01T00:00:00.000Z' };
  return {
    kind: 'drain',
    key: `/wharf/drains/${instanceId}`,
    parsed: { kind: 'drain', instanceId },
    current: on ? record : undefined,
    previous: on ? undefined : record,
  };
};

let nextId = 1;
function query(name: string, type = 'A', extra: Partial<Packet> = {}): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id: nextId++,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: type as 'A', class: 'IN' }],
    ...extra,
  });
}
const edns = (udpPayloadSize = 4096, ednsVersion = 0): Partial<Packet> => ({
  additionals: [
    {
      type: 'OPT',
      name: '.',
      udpPayloadSize,
      ednsVersion,
      extendedRcode: 0,
      flags: 0,
      flag_do: false,
      options: [],
    },
  ],
});

const data = (answers: readonly Answer[] | undefined, type: string) =>
  (answers ?? [])
    .filter((answer) => answer.type === type)
    .map((answer) => (answer as { data: unknown }).data);

describe('DnsResponder', () => {
  let index: DnsIndex;
  let responder: DnsResponder;
  const ask = (message: Buffer, transport: 'udp' | 'tcp' = 'udp'): DecodedPacket & { rcode?: string } => {
    const answer = responder.answer(message, transport);
    if (!answer) throw new Error('dropped');
    return dnsPacket.decode(answer) as DecodedPacket & { rcode?: string };
  };
  const apply = (...changes: RegistryChange[]) => index.apply({ revision: 7, changes });

  beforeEach(() => {
    index = new DnsIndex();
    responder = new DnsResponder({ config: { domain: 'wharf', ttlSeconds: 5 }, index, zone: 'eu-1a' });
  });

  it('answers SERVFAIL until the first sync, never a cached NXDOMAIN', () => {
    expect(ask(query('db.wharf')).rcode).toBe('SERVFAIL');
    apply();
    expect(ask(query('db.wharf')).rcode).toBe('NXDOMAIN');
  });

  it('answers A with the serving addresses of a service, each once, authoritatively, with the TTL', () => {
    apply(
      put(endpoint({ service: 'db', id: 'n1:db-1:5432', address: '10.0.0.5', port: 32768 })),
      put(endpoint({ service: 'db', id: 'n1:db-2:5432', address: '10.0.0.5', port: 32769 })),
      put(endpoint({ service: 'db', id: 'n2:db-3:5432', address: '10.0.0.6' })),
      put(endpoint({ service: 'db', id: 'n2:db-4:5432', address: '10.0.0.7', state: 'draining' })),
      put(endpoint({ service: 'db', id: 'n2:db-5:5432', address: '10.0.0.8', weight: 0 })),
      put(endpoint({ service: 'db', id: 'n2:db-6:5432', address: 'fd00::6' })),
      put(endpoint({ service: 'cache', id: 'n1:cache-1:11211', address: '10.0.0.9' })),
    );
    const response = ask(query('db.wharf'));
    expect(response.rcode).toBe('NOERROR');
    expect(response.flag_aa).toBe(true);
    expect(response.flag_ra).toBe(false);
    expect(response.flag_rd).toBe(true);
    expect(data(response.answers, 'A').sort()).toEqual(['10.0.0.5', '10.0.0.6']);
    expect(response.answers?.every((answer) => (answer as { ttl: number }).ttl === 5)).toBe(true);
    expect(data(ask(query('db.wharf', 'AAAA')).answers, 'AAAA')).toEqual(['fd00::6']);
  });

  it('folds case but echoes the question as asked (0x20 randomisation)', () => {
    apply(put(endpoint({ service: 'Web', id: 'n1:web-1:80', address: '10.0.0.5' })));
    const response = ask(query('wEb.WhArF'));
    expect(response.questions?.[0]?.name).toBe('wEb.WhArF');
    expect(response.answers?.[0]?.name).toBe('wEb.WhArF');
    expect(data(response.answers, 'A')).toEqual(['10.0.0.5']);
  });

  it('rotates A answers between queries', () => {
    apply(
      put(endpoint({ service: 'db', id: 'n1:db-1:1', address: '10.0.0.1' })),
      put(endpoint({ service: 'db', id: 'n1:db-2:1', address: '10.0.0.2' })),
      put(endpoint({ service: 'db', id: 'n1:db-3:1', address: '10.0.0.3' })),
    );
    const firsts = new Set(
      Array.from({ length: 3 }, () => data(ask(query('db.wharf')).answers, 'A')[0] as string),
    );
    expect(firsts).toEqual(new Set(['10.0.0.1', '10.0.0.2', '10.0.0.3']));
  });

  it('leaves out an endpoint an operator drains, at once, and takes it back after', () => {
    apply(
      put(endpoint({ service: 'db', id: 'n1:db-1:5432', address: '10.0.0.5' })),
      put(endpoint({ service: 'db', id: 'n1:db-2:5432', address: '10.0.0.6' })),
    );
    expect(data(ask(query('db.wharf')).answers, 'A')).toHaveLength(2);
    apply(drain('n1:db-1:5432', true));
    expect(data(ask(query('db.wharf')).answers, 'A')).toEqual(['10.0.0.6']);
    apply(drain('n1:db-1:5432', false));
    expect(data(ask(query('db.wharf')).answers, 'A')).toHaveLength(2);
  });

  it('answers SRV on _<service>._tcp with port, weight and the targets in the additional section', () => {
    apply(
      put(
        endpoint({
          service: 'db',
          id: 'n1:db-1:5432',
          address: '10.0.0.5',
          port: 32768,
          weight: 3,
          tags: ['zone=eu-1a'],
        }),
      ),
      put(
        endpoint({
          service: 'db',
          id: 'n1:db-2:5432',
          address: '10.0.0.5',
          port: 32769,
          tags: ['zone=eu-1b'],
        }),
      ),
      put(endpoint({ service: 'db', id: 'n1:db-3:5432', address: 'fd00::7', port: 5432 })),
      put(endpoint({ service: 'db', id: 'n1:db-4:5432', address: 'db4.internal', port: 5432 })),
      put(endpoint({ service: 'db', id: 'n1:db-5:53:udp', address: '10.0.0.8', port: 53, protocol: 'udp' })),
    );
    const response = ask(query('_db._tcp.wharf', 'SRV'));
    expect(response.rcode).toBe('NOERROR');
    expect(data(response.answers, 'SRV')).toEqual([
      { priority: 0, weight: 3, port: 32768, target: '0a000005.addr.wharf' },
      { priority: 1, weight: 1, port: 32769, target: '0a000005.addr.wharf' },
      { priority: 1, weight: 1, port: 5432, target: 'fd000000000000000000000000000007.addr.wharf' },
      { priority: 1, weight: 1, port: 5432, target: 'db4.internal' },
    ]);
    expect(
      response.additionals?.map((record) => [record.name, record.type, (record as { data: string }).data]),
    ).toEqual([
      ['0a000005.addr.wharf', 'A', '10.0.0.5'],
      ['fd000000000000000000000000000007.addr.wharf', 'AAAA', 'fd00::7'],
    ]);
    expect(data(ask(query('_db._udp.wharf', 'SRV')).answers, 'SRV')).toEqual([
      { priority: 1, weight: 1, port: 53, target: '0a000008.addr.wharf' },
    ]);
    // The targets resolve on their own too (a resolver that dropped the additional section).
    expect(data(ask(query('0a000005.addr.wharf')).answers, 'A')).toEqual(['10.0.0.5']);
    expect(data(ask(query('0a000005.addr.wharf', 'AAAA')).answers, 'AAAA')).toEqual([]);
    // SRV on the plain name works as well; A on the SRV name is NODATA.
    expect(data(ask(query('db.wharf', 'SRV')).answers, 'SRV')).toHaveLength(5);
    const aOnSrvName = ask(query('_db._tcp.wharf', 'A'));
    expect([aOnSrvName.rcode, aOnSrvName.answers]).toEqual(['NOERROR', []]);
  });

  it('filters by tag: <tag-label>.<service>, with zone=eu-1a queried as zone-eu-1a', () => {
    apply(
      put(endpoint({ service: 'db', id: 'n1:db-1:1', address: '10.0.0.1', tags: ['zone=eu-1a', 'primary'] })),
      put(endpoint({ service: 'db', id: 'n1:db-2:1', address: '10.0.0.2', tags: ['zone=eu-1b'] })),
      put(
        endpoint({
          service: 'db',
          id: 'n1:db-3:1',
          address: '10.0.0.3',
          tags: ['Primary'],
          state: 'draining',
        }),
      ),
    );
    expect(data(ask(query('zone-eu-1a.db.wharf')).answers, 'A')).toEqual(['10.0.0.1']);
    expect(data(ask(query('zone-eu-1b.db.wharf', 'SRV')).answers, 'SRV')).toHaveLength(1);
    expect(data(ask(query('primary.db.wharf')).answers, 'A')).toEqual(['10.0.0.1']);
    // A tag nobody carries does not exist; a tag only draining endpoints carry exists, empty.
    expect(ask(query('zone-us-1.db.wharf')).rcode).toBe('NXDOMAIN');
    apply(drain('n1:db-1:1', true));
    const empty = ask(query('primary.db.wharf'));
    expect([empty.rcode, empty.answers]).toEqual(['NOERROR', []]);
  });

  it('tells NXDOMAIN from NODATA, with the SOA in the authority section either way', () => {
    apply(
      put(endpoint({ service: 'db', id: 'n1:db-1:1', address: '10.0.0.1' })),
      put(endpoint({ service: 'web.api', id: 'n1:web-1:1', address: '10.0.0.2' })),
      put(endpoint({ service: 'old', id: 'n1:old-1:1', address: '10.0.0.3', state: 'draining' })),
    );
    const cases: [string, string, string][] = [
      ['nope.wharf', 'A', 'NXDOMAIN'],
      ['x.nope.wharf', 'A', 'NXDOMAIN'],
      ['db.wharf', 'AAAA', 'NOERROR'],
      ['db.wharf', 'MX', 'NOERROR'],
      ['db.wharf', 'UNKNOWN_65', 'NOERROR'], // HTTPS, asked by browsers and some resolvers
      ['old.wharf', 'A', 'NOERROR'], // known, none serving: the name exists
      ['api.wharf', 'A', 'NOERROR'], // empty non-terminal of web.api
      ['_tcp.wharf', 'A', 'NOERROR'], // empty non-terminal of _db._tcp
      ['wharf', 'A', 'NOERROR'],
      ['wharf', 'NS', 'NOERROR'],
      ['_nope._tcp.wharf', 'SRV', 'NXDOMAIN'],
    ];
    for (const [name, type, rcode] of cases) {
      const response = ask(query(name, type));
      expect({ name, type, rcode: response.rcode }).toEqual({ name, type, rcode });
      expect(response.answers).toEqual([]);
      expect(response.flag_aa).toBe(true);
      const soa = response.authorities?.[0] as {
        type: string;
        name: string;
        ttl: number;
        data: { serial: number; minimum: number };
      };
      expect(soa).toMatchObject({ type: 'SOA', name: 'wharf', ttl: 5, data: { serial: 7, minimum: 5 } });
    }
    expect(data(ask(query('web.api.wharf')).answers, 'A')).toEqual(['10.0.0.2']);
    const apex = ask(query('wharf', 'SOA'));
    expect(apex.answers?.[0]).toMatchObject({ type: 'SOA', name: 'wharf' });
  });

  it('forgets services and their empty non-terminals when their last endpoint goes', () => {
    const record = endpoint({ service: 'web.api', id: 'n1:web-1:1', address: '10.0.0.2' });
    apply(put(record));
    expect(ask(query('api.wharf')).rcode).toBe('NOERROR');
    expect(ask(query('0a000002.addr.wharf')).rcode).toBe('NOERROR');
    apply(remove(record));
    expect(ask(query('web.api.wharf')).rcode).toBe('NXDOMAIN');
    expect(ask(query('api.wharf')).rcode).toBe('NXDOMAIN');
    expect(ask(query('0a000002.addr.wharf')).rcode).toBe('NXDOMAIN');
    expect(index.size).toBe(0);
  });

  it('is authoritative only: names outside the domain and other classes are REFUSED', () => {
    apply(put(endpoint({ service: 'db', id: 'n1:db-1:1', address: '10.0.0.1' })));
    for (const name of ['example.com', 'db.wharf.example.com', 'wharf.com', '', 'xwharf']) {
      const response = ask(query(name));
      expect({ name, rcode: response.rcode, aa: response.flag_aa, answers: response.answers }).toEqual({
        name,
        rcode: 'REFUSED',
        aa: false,
        answers: [],
      });
    }
    const chaos = dnsPacket.encode({
      type: 'query',
      id: 9,
      questions: [{ name: 'version.bind', type: 'TXT', class: 'CH' }],
    });
    expect(ask(chaos).rcode).toBe('REFUSED');
    expect(ask(query('wharf', 'AXFR')).rcode).toBe('REFUSED');
  });

  it('answers opcodes other than QUERY with NOTIMP', () => {
    const update = query('db.wharf', 'A', { flags: 5 << 11 });
    expect(ask(update).rcode).toBe('NOTIMP');
  });

  it('speaks EDNS0: echoes an OPT, honours the payload size up to 1232, BADVERS for version 1', () => {
    apply(put(endpoint({ service: 'db', id: 'n1:db-1:1', address: '10.0.0.1' })));
    const response = ask(query('db.wharf', 'A', edns()));
    const opt = response.additionals?.find((record) => record.type === 'OPT') as { udpPayloadSize: number };
    expect(opt.udpPayloadSize).toBe(1232);
    expect(data(response.answers, 'A')).toEqual(['10.0.0.1']);
    const badVersion = responder.answer(query('db.wharf', 'A', edns(4096, 1)), 'udp') as Buffer;
    const decoded = dnsPacket.decode(badVersion);
    const badOpt = decoded.additionals?.find((record) => record.type === 'OPT') as { extendedRcode: number };
    // BADVERS is 16: 0 in the header's four bits, 1 in the OPT's extended bits.
    expect([(decoded.flags ?? 0) & 0xf, badOpt.extendedRcode]).toEqual([0, 1]);
    expect(decoded.answers).toEqual([]);
  });

  it('truncates a UDP answer that does not fit (TC, no records) and answers in full over TCP', () => {
    apply(
      ...Array.from({ length: 120 }, (_, i) =>
        put(endpoint({ service: 'big', id: `n1:big-${i}:1`, address: `10.1.${i >> 8}.${i & 255}` })),
      ),
    );
    const plain = ask(query('big.wharf'));
    expect(plain.flag_tc).toBe(true);
    expect(plain.answers).toEqual([]);
    const withEdns = ask(query('big.wharf', 'A', edns(4096)));
    expect(withEdns.flag_tc).toBe(true);
    const overTcp = ask(query('big.wharf'), 'tcp');
    expect(overTcp.flag_tc).toBe(false);
    expect(data(overTcp.answers, 'A')).toHaveLength(120);
    expect(responder.counters.truncated).toBe(2);
    // 30 A records fit in 1232 bytes, not in 512.
    apply(
      ...Array.from({ length: 90 }, (_, i) => remove(endpoint({ service: 'big', id: `n1:big-${i + 30}:1` }))),
    );
    expect(ask(query('big.wharf')).flag_tc).toBe(true);
    expect(data(ask(query('big.wharf', 'A', edns(1232))).answers, 'A')).toHaveLength(30);
  });

  it('leaves out the additional section before truncating an SRV answer', () => {
    apply(
      ...Array.from({ length: 5 }, (_, i) =>
        put(endpoint({ service: 'db', id: `n1:db-${i}:1`, address: `fd00::${i + 1}`, port: 1000 + i })),
      ),
    );
    const response = ask(query('_db._tcp.wharf', 'SRV'));
    expect(response.flag_tc).toBe(false);
    expect(data(response.answers, 'SRV')).toHaveLength(5);
    expect(response.additionals).toEqual([]);
    const withEdns = ask(query('_db._tcp.wharf', 'SRV', edns()));
    expect(withEdns.additionals?.filter((record) => record.type === 'AAAA')).toHaveLength(5);
  });

  it('drops what is not one well-formed query and counts it, without throwing', () => {
    apply(put(endpoint({ service: 'db', id: 'n1:db-1:1', address: '10.0.0.1' })));
    const valid = query('db.wharf');
    const header = (counts: [number, number, number, number], flags = 0) => {
      const bytes = Buffer.alloc(12);
      bytes.writeUInt16BE(0x1234, 0);
      bytes.writeUInt16BE(flags, 2);
      counts.forEach((count, i) => {
        bytes.writeUInt16BE(count, 4 + i * 2);
      });
      return bytes;
    };
    const question = valid.subarray(12);
    const pointerLoop = Buffer.concat([header([1, 0, 0, 0]), Buffer.from([0xc0, 12, 0, 1, 0, 1])]);
    const forwardPointer = Buffer.concat([header([1, 0, 0, 0]), Buffer.from([0xc0, 14, 0, 1, 0, 1])]);
    const dottedLabel = Buffer.concat([
      header([1, 0, 0, 0]),
      Buffer.from('\x05db.wh\x00\x00\x01\x00\x01', 'latin1'),
    ]);
    const nonAscii = Buffer.concat([
      header([1, 0, 0, 0]),
      Buffer.from([2, 0xff, 0xfe, 5]),
      Buffer.from('wharf\x00\x00\x01\x00\x01'),
    ]);
    const drops: [string, Buffer, string][] = [
      ['empty', Buffer.alloc(0), 'malformed'],
      ['short header', valid.subarray(0, 11), 'malformed'],
      ['truncated question', valid.subarray(0, valid.length - 3), 'malformed'],
      ['random bytes', Buffer.from('8b5c0d2e9fa1477c3c0e6a90b1d2f3a4', 'hex'), 'malformed'],
      ['no question', header([0, 0, 0, 0]), 'malformed'],
      ['two questions', Buffer.concat([header([2, 0, 0, 0]), question, question]), 'malformed'],
      ['65,535 questions', Buffer.concat([header([65_535, 0, 0, 0]), question]), 'malformed'],
      ['65,535 answers', Buffer.concat([header([1, 65_535, 0, 0]), question]), 'malformed'],
      ['65,535 additionals', Buffer.concat([header([1, 0, 0, 65_535]), question]), 'malformed'],
      ['pointer to itself', pointerLoop, 'malformed'],
      ['pointer forward', forwardPointer, 'malformed'],
      ['a dot inside a label', dottedLabel, 'malformed'],
      ['non-ASCII label', nonAscii, 'malformed'],
      ['a response', Buffer.concat([header([1, 0, 0, 0], 0x8000), question]), 'response'],
      [
        'class 9',
        Buffer.concat([header([1, 0, 0, 0]), question.subarray(0, -2), Buffer.from([0, 9])]),
        'unsupported',
      ],
    ];
    for (const [what, bytes, reason] of drops) {
      const before = responder.counters.dropped.get(reason as 'malformed') ?? 0;
      expect({ what, answer: responder.answer(bytes, 'udp') }).toEqual({ what, answer: undefined });
      expect({ what, count: responder.counters.dropped.get(reason as 'malformed') }).toEqual({
        what,
        count: before + 1,
      });
    }
    // Every prefix of a valid query, and every single-byte corruption of it, is answered or dropped.
    for (let length = 0; length <= valid.length; length++) responder.answer(valid.subarray(0, length), 'udp');
    for (let at = 0; at < valid.length; at++) {
      for (const value of [0x00, 0x3f, 0x40, 0xc0, 0xff]) {
        const corrupted = Buffer.from(valid);
        corrupted[at] = value;
        responder.answer(corrupted, 'tcp');
      }
    }
    expect(data(ask(valid).answers, 'A')).toEqual(['10.0.0.1']);
  });

  it("answers a repeated query from its cache: the asker's id, counted, rotated, and new after a change", () => {
    apply(
      put(endpoint({ service: 'db', id: 'n1:db-1:1', address: '10.0.0.1' })),
      put(endpoint({ service: 'db', id: 'n1:db-2:1', address: '10.0.0.2' })),
    );
    const first = query('db.wharf');
    const again = Buffer.from(first);
    again.writeUInt16BE(0xbeef, 0);
    const answers = [ask(first), ask(again), ask(first)];
    expect(answers.map((answer) => answer.id)).toEqual([
      first.readUInt16BE(0),
      0xbeef,
      first.readUInt16BE(0),
    ]);
    expect(answers.map((answer) => data(answer.answers, 'A')[0])).toEqual([
      '10.0.0.1',
      '10.0.0.2',
      '10.0.0.1',
    ]);
    expect(responder.counters.answers.get('udp NOERROR')).toBe(3);
    // Over TCP the same bytes are another query; a registry change forgets every answer.
    expect(data(ask(first, 'tcp').answers, 'A')).toHaveLength(2);
    apply(remove(endpoint({ service: 'db', id: 'n1:db-1:1' })));
    expect(data(ask(first).answers, 'A')).toEqual(['10.0.0.2']);
    // A repeated truncated answer is counted as truncated each time.
    const before = responder.counters.truncated;
    apply(
      ...Array.from({ length: 60 }, (_, i) =>
        put(endpoint({ service: 'big', id: `n1:big-${i}:1`, address: `10.1.0.${i}` })),
      ),
    );
    const big = query('big.wharf');
    expect([ask(big).flag_tc, ask(big).flag_tc]).toEqual([true, true]);
    expect(responder.counters.truncated).toBe(before + 2);
  });

  it('counts answers by transport and rcode', () => {
    apply();
    ask(query('nope.wharf'));
    ask(query('nope.wharf'), 'tcp');
    ask(query('example.com'));
    expect(Object.fromEntries(responder.counters.answers)).toEqual({
      'udp NXDOMAIN': 1,
      'tcp NXDOMAIN': 1,
      'udp REFUSED': 1,
    });
  });
});

describe('DnsIndex', () => {
  // Numbers, not assertions: what one registry change costs the DNS index at 10,000 endpoints.
  it('measures cold load and single changes at 10,000 endpoints', () => {
    const index = new DnsIndex();
    const records = Array.from({ length: 10_000 }, (_, i) =>
      endpoint({
        service: `svc${i % 1_000}`,
        id: `n${i}:c-${i}:80`,
        address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      }),
    );
    let started = performance.now();
    index.apply({ revision: 1, changes: records.map(put) });
    const coldMs = performance.now() - started;
    expect(index.size).toBe(1_000);
    const samples: number[] = [];
    for (let i = 0; i < 500; i++) {
      const record = records[(i * 7919) % records.length] as EndpointRecord;
      const changed = { ...record, state: i % 2 === 0 ? ('draining' as const) : ('serving' as const) };
      started = performance.now();
      index.apply({ revision: 2 + i, changes: [put(changed)] });
      index.lookup([record.service]);
      samples.push(performance.now() - started);
    }
    samples.sort((a, b) => a - b);
    const p50 = samples[Math.floor(samples.length * 0.5)] as number;
    const p99 = samples[Math.floor(samples.length * 0.99)] as number;
    console.log(
      `dns index, 10,000 endpoints in 1,000 services: cold ${coldMs.toFixed(1)} ms; one change + lookup p50 ${p50.toFixed(3)} ms, p99 ${p99.toFixed(3)} ms`,
    );
  });
});
