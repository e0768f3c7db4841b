/**
 * A seeded generator of hostile registry entries: malformed JSON, wrong types, huge and deeply
 * nested values, bad ports, unknown versions, bad names and keys, and well-formed endpoints whose
 * address is link-local or a cloud metadata service. The same seed always yields the same
 * entries, so a failure is reproduced by re-running with the seed it printed.
 */

import { isIP } from 'node:net';
import { endpointRecord } from './records.js';

/** Which layer must refuse an entry. */
export type Refusal =
  /** The key is not part of the key layout (KeyLayout.parse returns undefined). */
  | 'layout'
  /** The value fails the record decoders (bad JSON, wrong type, unknown version, too big). */
  | 'decoder'
  /** The record is well-formed, but its address must never be proxied to (the edge's policy). */
  | 'address';

export interface FuzzEntry {
  readonly key: string;
  readonly value: string;
  readonly category: string;
  readonly refusedBy: Refusal;
}

export interface FuzzOptions {
  readonly seed: number;
  readonly count: number;
  /** Key prefix, default `/wharf`. */
  readonly prefix?: string;
  /**
   * Host names the endpoint-shaped entries route. Well-formed entries with a forbidden address
   * use these, so an edge that wrongly accepted them would send real traffic there.
   */
  readonly hosts?: readonly string[];
}

/** mulberry32: tiny, fast, good enough for test data, and identical on every platform. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const integer = (random: Random, min: number, max: number) => min + Math.floor(random() * (max - min + 1));

/** A valid endpoint record; mutations start from it so each entry is wrong in exactly one way. */
export function validEndpoint(service: string, id: string, address: string, port: number, host: string) {
  return endpointRecord({
    service,
    id,
    address,
    port,
    node: 'fuzz-node',
    bridge: 'fuzz-bridge',
    routes: [{ host, pathPrefix: '/' }],
  }) as Record<string, unknown>;
}

const FIELD_MUTATIONS: Record<string, readonly unknown[]> = {
  v: [2, 0, -1, '1', null, 1.5, true, [], {}],
  port: [-1, 0, 65_536, 1e9, 80.5, '80', null, [], {}, 2 ** 53, -65_535],
  address: [
    123,
    '',
    'http://127.0.0.1',
    '127.0.0.1:80',
    'a b',
    'x'.repeat(300),
    'evil/path',
    '::g',
    null,
    '127.0.0.1\r\nHost: evil',
    '../../etc/passwd',
  ],
  service: ['', 'a/b', '..', 'x'.repeat(300), 42, 'wéb', 'a b', null],
  id: ['', 'a/b', '.', 'y'.repeat(254), 7, 'id\nnext', null],
  state: ['up', '', null, 1, 'SERVING', 'serving '],
  protocol: ['https', 'grpc', 1, ''],
  weight: [-1, 1.5, 10_001, '1', null],
  routes: [
    'x',
    [{ host: '' }],
    [{ host: 'a b' }],
    [{ host: 'web.test', pathPrefix: 'noslash' }],
    [{ host: 'web.test', pathPrefix: '/a b' }],
    [{ host: 'web.test:80' }],
    [{ host: '*.*.web.test' }],
    [{ host: 'web.test', pathPrefix: '/?q=1' }],
    [{ host: 'web.test\r\nx: y' }],
    Array.from({ length: 65 }, (_, index) => ({ host: `h${index}.test` })),
    [{}],
    [null],
  ],
  tags: ['a', [1], Array.from({ length: 65 }, () => 'tag'), ['x'.repeat(257)], null],
  container: ['x', { id: 1, name: 'n', image: 'i' }, { id: 'i', name: 'x'.repeat(300), image: 'i' }, []],
  node: [1, 'n'.repeat(254), null],
  bridge: [1, 'b'.repeat(254), null],
  registeredAt: [1, null, 'x'.repeat(65)],
  health: ['x', { check: 1, status: 'passing', since: 'now' }, []],
};
const REQUIRED = ['v', 'service', 'id', 'address', 'port', 'node', 'bridge', 'state', 'registeredAt'];

/**
 * Addresses that pass the record schema but must never be proxied to: link-local (where cloud
 * metadata services live) in IPv4, IPv6 and IPv4-mapped form, AWS's IPv6 metadata address, and
 * 169.254.169.254 spelled as a number, in hex, octal or short dotted form, which the schema takes
 * for a DNS name and the system resolver turns back into the metadata address.
 */
export const FORBIDDEN_ADDRESSES = [
  '169.254.169.254',
  '169.254.0.1',
  '169.254.255.254',
  'fe80::1',
  'fe80::a9fe:a9fe',
  '::ffff:169.254.169.254',
  'fd00:ec2::254',
  '2852039166',
  '0xa9fea9fe',
  '169.254.43518',
  '0251.0376.0251.0376',
];

// Kept under the 64 KiB record limit so the JSON parser and the schema see them, not the size check.
function deeplyNested(random: Random): string {
  const depth = integer(random, 1_000, 12_000);
  switch (integer(random, 0, 3)) {
    case 0:
      return '['.repeat(depth) + ']'.repeat(depth);
    case 1:
      return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
    case 2:
      return '{"a":'.repeat(depth);
    default:
      return `{"v":1,"routes":${'['.repeat(depth)}${']'.repeat(depth)}}`;
  }
}

/** Generates `count` hostile entries deterministically from `seed`. */
export function* hostileEntries(options: FuzzOptions): Generator<FuzzEntry> {
  const random = seededRandom(options.seed);
  const prefix = options.prefix ?? '/wharf';
  const hosts = options.hosts ?? ['fuzz.test'];

  for (let index = 0; index < options.count; index += 1) {
    const service = 'fuzz';
    const id = `fuzz-${options.seed}-${index}`;
    const host = pick(random, hosts);
    const record = validEndpoint(service, id, '127.0.0.1', integer(random, 1, 65_535), host);
    const key = `${prefix}/services/${service}/${id}`;
    const json = JSON.stringify(record);
    const choice = integer(random, 0, 99);

    if (choice < 12) {
      const kind = integer(random, 0, 7);
      const values = [
        json.slice(0, integer(random, 0, json.length - 1)),
        Array.from({ length: integer(random, 1, 200) }, () =>
          String.fromCharCode(integer(random, 0, 0xffff)),
        ).join(''),
        pick(random, ['null', '1', '"str"', 'true', '[]', `[${json}]`, '', ' ', '{}']),
        `${json}x`,
        `\uFEFF${json}`,
        `${json.slice(0, -1)},"port":-1}`,
        json.replace('"v":1', "'v':1"),
        json.replaceAll('"', "'"),
      ];
      yield { key, value: values[kind]!, category: 'bad-json', refusedBy: 'decoder' };
    } else if (choice < 55) {
      const field = pick(random, Object.keys(FIELD_MUTATIONS));
      const mutated = { ...record, [field]: pick(random, FIELD_MUTATIONS[field]!) };
      const category = field === 'v' ? 'unknown-version' : field === 'port' ? 'bad-port' : `wrong-${field}`;
      yield { key, value: JSON.stringify(mutated), category, refusedBy: 'decoder' };
    } else if (choice < 60) {
      const mutated = { ...record };
      delete mutated[pick(random, REQUIRED)];
      yield { key, value: JSON.stringify(mutated), category: 'missing-field', refusedBy: 'decoder' };
    } else if (choice < 62) {
      // Over the 64 KiB record limit (etcd itself accepts up to 1.5 MiB).
      const padding = 'x'.repeat(integer(random, 65 * 1024, 1024 * 1024));
      yield {
        key,
        value: JSON.stringify({ ...record, padding }),
        category: 'huge-value',
        refusedBy: 'decoder',
      };
    } else if (choice < 68) {
      yield { key, value: deeplyNested(random), category: 'deeply-nested', refusedBy: 'decoder' };
    } else if (choice < 80) {
      const badKeys = [
        `${prefix}/services/we b/${id}`,
        `${prefix}/services/${service}/${id}/extra`,
        `${prefix}/services//${id}`,
        `${prefix}/services/${service}/..`,
        `${prefix}/services/${service}/${id}\n`,
        `${prefix}/services/wéb-${index}/${id}`,
        `${prefix}/services/${'s'.repeat(254)}/${id}`,
        `${prefix}/services/${id}`,
        `${prefix}/unknown/${id}`,
        `${prefix}/bridges/${id}/x`,
        `${prefix}/routes/`,
        `${prefix}/${id}`,
      ];
      const badKey = pick(random, badKeys);
      // Some bad keys carry no id; make each entry's key unique anyway.
      const unique = badKey.includes(id) ? badKey : `${badKey}${badKey.endsWith('/') ? '' : '/'}${id}/x`;
      yield { key: unique, value: json, category: 'bad-key', refusedBy: 'layout' };
    } else if (choice < 88) {
      // Other record kinds, malformed.
      const kinds = [
        [`${prefix}/routes/${id}`, { v: 1, host: 'a b', pathPrefix: '/', service: 'web' }],
        [`${prefix}/routes/${id}`, { v: 1, host: host, pathPrefix: '/', service: '../x' }],
        [`${prefix}/routes/${id}`, { v: 9, host: host, pathPrefix: '/', service: 'web' }],
        [`${prefix}/bridges/${id}`, { v: 1, node: 'n', mode: 'sideways', version: '1', startedAt: 'now' }],
        [`${prefix}/bridges/${id}`, { v: 1, node: 5, mode: 'host', version: '1', startedAt: 'now' }],
        [`${prefix}/drains/${id}`, { v: 1, service: 'a/b', at: 'now' }],
        [`${prefix}/drains/${id}`, { v: 1, service: 'web', at: 5 }],
      ] as const;
      const [otherKey, value] = pick(random, kinds);
      yield {
        key: otherKey,
        value: JSON.stringify(value),
        category: 'bad-other-record',
        refusedBy: 'decoder',
      };
    } else {
      const address = pick(random, FORBIDDEN_ADDRESSES);
      yield {
        key,
        value: JSON.stringify({ ...record, address, port: pick(random, [80, 8080, 443]) }),
        category: 'forbidden-address',
        // An IPv4 address in a resolver's other notations (`2852039166`) is no DNS name: the
        // record schema refuses it. IP literals are well-formed; the edge's policy refuses them.
        refusedBy: isIP(address) === 0 ? 'decoder' : 'address',
      };
    }
  }
}
