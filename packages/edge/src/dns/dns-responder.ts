import dnsPacket, { type Answer, type DecodedPacket, type OptAnswer, type Question } from 'dns-packet';
import type { DnsConfig } from './dns-config.js';
import type { DnsEndpoint, DnsIndex, DnsName, EndpointSet } from './dns-index.js';

export type DnsTransport = 'udp' | 'tcp';

/** Why a packet got no answer at all. */
export type DnsDropReason =
  /** Not a DNS message, or not one question (shorter than a header, bad counts, bad names). */
  | 'malformed'
  /** A response (QR set): answering it could start a loop between two servers. */
  | 'response'
  /** A question class nobody uses (not IN, CH, HS or ANY). */
  | 'unsupported';

export type DnsRcode = 'NOERROR' | 'FORMERR' | 'SERVFAIL' | 'NXDOMAIN' | 'NOTIMP' | 'REFUSED' | 'BADVERS';

export interface DnsResponderOptions {
  readonly config: Pick<DnsConfig, 'domain' | 'ttlSeconds'>;
  readonly index: DnsIndex;
  /** The edge's zone (`WHARF_ZONE`): SRV records of endpoints in it get the better priority. */
  readonly zone?: string | undefined;
}

/** Counted since start, for `/metrics`. */
export interface DnsCounters {
  /** `<transport> <rcode>` → answers. */
  readonly answers: ReadonlyMap<string, number>;
  readonly dropped: ReadonlyMap<DnsDropReason, number>;
  /** UDP answers cut to their header because they did not fit (the client retries over TCP). */
  readonly truncated: number;
}

const RCODE: Record<DnsRcode, number> = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  BADVERS: 16,
};
const QR = 1 << 15;
const OPCODE_MASK = 0xf << 11;
/** EDNS payload size wharf offers and honours at most (DNS Flag Day 2020: no IP fragmentation). */
const MAX_UDP_PAYLOAD = 1232;
const MIN_UDP_PAYLOAD = 512;
const MAX_TCP_MESSAGE = 65_535;
const KNOWN_CLASSES = new Set(['IN', 'CH', 'HS', 'ANY']);
const PRINTABLE_NAME = /^[\x21-\x7e]*$/;
const SRV_PRIORITY = { sameZone: 0, otherZone: 1 } as const;

interface Reply {
  readonly rcode: DnsRcode;
  readonly authoritative: boolean;
  readonly answers: Answer[];
  readonly authorities: Answer[];
  readonly additionals: Answer[];
  /** How many rotations of the addresses give different answers (1: the answer never rotates). */
  readonly rotations: number;
}

/**
 * The encoded answers to one query (every byte but the id), one per rotation of its addresses,
 * each filled in when first needed.
 */
interface CachedAnswer {
  readonly variants: (Buffer | undefined)[];
  readonly rcode: DnsRcode;
  /** The rotation the next query gets. */
  next: number;
}

/** Queries remembered per registry state; a flood of distinct names clears it, never grows it. */
const MAX_CACHED_QUERIES = 4_096;

/**
 * Turns one DNS query (the bytes of one message) into the bytes of its answer, authoritatively
 * for one domain and from a `DnsIndex`: `<service>.<domain>` A/AAAA/SRV, `<tag>.<service>.<domain>`,
 * `_<service>._tcp.<domain>` SRV. Names outside the domain are REFUSED (never recursion). Pure:
 * no sockets, so every case — truncation, EDNS, hostile bytes — is tested without a network.
 * Wire format by dns-packet; this class only decides what to answer.
 */
export class DnsResponder {
  readonly #index: DnsIndex;
  readonly #domain: string;
  readonly #domainLabels: readonly string[];
  readonly #ttl: number;
  readonly #zone: string | undefined;
  readonly #answers = new Map<string, number>();
  readonly #dropped = new Map<DnsDropReason, number>();
  #truncated = 0;
  /**
   * Answers by query (transport and every byte after the id), while the index is at
   * `#cachedGeneration`. A and AAAA answers rotate between queries of a name, so clients that
   * take the first spread out: each rotation is one variant.
   */
  readonly #cache = new Map<string, CachedAnswer>();
  #cachedGeneration = -1;

  constructor(options: DnsResponderOptions) {
    this.#index = options.index;
    this.#domain = options.config.domain;
    this.#domainLabels = options.config.domain.split('.');
    this.#ttl = options.config.ttlSeconds;
    this.#zone = options.zone;
  }

  get counters(): DnsCounters {
    return { answers: this.#answers, dropped: this.#dropped, truncated: this.#truncated };
  }

  /** The answer to `message`, or undefined when it must be dropped (counted by reason). */
  answer(message: Buffer, transport: DnsTransport): Buffer | undefined {
    if (this.#cachedGeneration !== this.#index.generation) {
      this.#cache.clear();
      this.#cachedGeneration = this.#index.generation;
    }
    // The same bytes are the same query: no need to decode and check them again.
    const key = message.length >= 12 ? `${transport}${message.toString('latin1', 2)}` : undefined;
    let cached = key === undefined ? undefined : this.#cache.get(key);
    if (cached === undefined) {
      const query = this.#decode(message);
      if (typeof query === 'string') {
        this.#dropped.set(query, (this.#dropped.get(query) ?? 0) + 1);
        return undefined;
      }
      const { bytes, reply } = this.#compute(query, transport, 0);
      cached = {
        variants: Array.from({ length: reply.rotations }, (_, rotation) =>
          rotation === 0 ? bytes : undefined,
        ),
        rcode: reply.rcode,
        next: 0,
      };
      if (this.#cache.size >= MAX_CACHED_QUERIES) this.#cache.clear();
      this.#cache.set(key as string, cached);
    }
    const rotation = cached.next++ % cached.variants.length;
    let bytes = cached.variants[rotation];
    if (bytes === undefined) {
      bytes = this.#compute(dnsPacket.decode(message), transport, rotation).bytes;
      cached.variants[rotation] = bytes;
    }
    const counted = `${transport} ${cached.rcode}`;
    this.#answers.set(counted, (this.#answers.get(counted) ?? 0) + 1);
    if (bytes.readUInt16BE(2) & dnsPacket.TRUNCATED_RESPONSE) this.#truncated += 1;
    const answer = Buffer.from(bytes);
    answer.writeUInt16BE(message.readUInt16BE(0), 0);
    return answer;
  }

  /** The answer to a query that passed `#decode`, its addresses rotated `rotation` places. */
  #compute(query: DecodedPacket, transport: DnsTransport, rotation: number): { bytes: Buffer; reply: Reply } {
    const question = query.questions?.[0] as Question;
    const opts = (query.additionals ?? []).filter((record): record is OptAnswer => record.type === 'OPT');
    const opt = opts[0];
    let reply: Reply;
    if (opts.length > 1) reply = this.#bare('FORMERR');
    else if (opt && opt.ednsVersion > 0) reply = this.#bare('BADVERS');
    else if ((query.flags ?? 0) & OPCODE_MASK) reply = this.#bare('NOTIMP');
    else reply = this.#resolve(question, rotation);
    const limit =
      transport === 'tcp'
        ? MAX_TCP_MESSAGE
        : opt
          ? Math.min(Math.max(opt.udpPayloadSize, MIN_UDP_PAYLOAD), MAX_UDP_PAYLOAD)
          : MIN_UDP_PAYLOAD;
    return { bytes: this.#encode(query, question, opt !== undefined, reply, limit, transport), reply };
  }

  /** The query, or why it is dropped. */
  #decode(message: Buffer): DecodedPacket | DnsDropReason {
    if (message.length < 12) return 'malformed';
    if (message.readUInt16BE(2) & QR) return 'response';
    // One question, nothing in answer or authority, at most an OPT: anything else is not a
    // query wharf answers, and counts are checked before decoding so a header claiming 65,535
    // records costs nothing.
    if (
      message.readUInt16BE(4) !== 1 ||
      message.readUInt16BE(6) !== 0 ||
      message.readUInt16BE(8) !== 0 ||
      message.readUInt16BE(10) > 1
    )
      return 'malformed';
    let query: DecodedPacket;
    try {
      query = dnsPacket.decode(message);
    } catch {
      return 'malformed';
    }
    const question = query.questions?.[0];
    if (!question) return 'malformed';
    if (!KNOWN_CLASSES.has(question.class ?? '')) return 'unsupported';
    // The name must encode back to the bytes it came from, or the echoed question would not
    // match: printable ASCII only, and each label's length byte where the decoded labels put it
    // (a dot inside a label, or a compression pointer in the question, moves them).
    const name = question.name;
    if (!PRINTABLE_NAME.test(name)) return 'malformed';
    let offset = 12;
    for (const label of name === '.' ? [] : name.split('.')) {
      if (message[offset] !== label.length) return 'malformed';
      offset += label.length + 1;
    }
    if (message[offset] !== 0) return 'malformed';
    return query;
  }

  #bare(rcode: DnsRcode, authoritative = false): Reply {
    return { rcode, authoritative, answers: [], authorities: [], additionals: [], rotations: 1 };
  }

  #resolve(question: Question, rotation: number): Reply {
    const labels = question.name
      .toLowerCase()
      .split('.')
      .filter((label) => label !== '');
    const below = this.#below(labels);
    if (below === undefined || question.class === 'CH' || question.class === 'HS')
      return this.#bare('REFUSED');
    // dns-packet's types name neither ANY nor the types it does not know (`UNKNOWN_65`).
    const type: string = question.type;
    if (type === 'AXFR' || type === 'IXFR') return this.#bare('REFUSED');
    // Before the first full sync every name would look missing, and NXDOMAIN would be cached.
    if (!this.#index.synced) return this.#bare('SERVFAIL');
    const found = this.#index.lookup(below);
    if (found.kind === 'missing') return this.#negative('NXDOMAIN');
    const answers = this.#records(type, question.name, found, rotation);
    if (answers.length === 0) return this.#negative('NOERROR');
    const additionals = type === 'SRV' || type === 'ANY' ? this.#targets(answers) : [];
    const rotations =
      found.kind === 'service' && !found.srvOnly
        ? Math.max(
            1,
            type === 'A' || type === 'ANY' ? found.set.ipv4.length : 1,
            type === 'AAAA' || type === 'ANY' ? found.set.ipv6.length : 1,
          )
        : 1;
    return { rcode: 'NOERROR', authoritative: true, answers, authorities: [], additionals, rotations };
  }

  /** The labels below the domain, or undefined when the name is not in it. */
  #below(labels: readonly string[]): string[] | undefined {
    const domain = this.#domainLabels;
    if (labels.length < domain.length) return undefined;
    const offset = labels.length - domain.length;
    for (let index = 0; index < domain.length; index++) {
      if (labels[offset + index] !== domain[index]) return undefined;
    }
    return labels.slice(0, offset);
  }

  #negative(rcode: 'NXDOMAIN' | 'NOERROR'): Reply {
    return {
      rcode,
      authoritative: true,
      answers: [],
      authorities: [this.#soa()],
      additionals: [],
      rotations: 1,
    };
  }

  #soa(): Answer {
    const ttl = this.#ttl;
    return {
      type: 'SOA',
      name: this.#domain,
      ttl,
      data: {
        mname: `ns.${this.#domain}`,
        rname: `hostmaster.${this.#domain}`,
        // The etcd revision: it grows with every change to the registry.
        serial: this.#index.revision % 2 ** 32,
        refresh: 3_600,
        retry: 600,
        expire: 86_400,
        minimum: ttl,
      },
    };
  }

  #records(
    type: string,
    name: string,
    found: Exclude<DnsName, { kind: 'missing' }>,
    rotation: number,
  ): Answer[] {
    const ttl = this.#ttl;
    const wants = (kind: 'A' | 'AAAA' | 'SRV' | 'SOA') => type === kind || type === 'ANY';
    switch (found.kind) {
      case 'empty':
        return [];
      case 'apex':
        return wants('SOA') ? [{ ...this.#soa(), name }] : [];
      case 'address': {
        const kind = found.family === 4 ? 'A' : 'AAAA';
        return wants(kind) ? [{ type: kind, name, ttl, data: found.address }] : [];
      }
      case 'service': {
        const records: Answer[] = [];
        const { set } = found;
        if (!found.srvOnly) {
          if (wants('A')) this.#addresses(records, 'A', name, set.ipv4, rotation);
          if (wants('AAAA')) this.#addresses(records, 'AAAA', name, set.ipv6, rotation);
        }
        // ANY gets the addresses only (RFC 8482: a subset is a full answer to ANY).
        if (type === 'SRV' || (type === 'ANY' && found.srvOnly)) this.#services(records, name, set);
        return records;
      }
    }
  }

  #addresses(
    records: Answer[],
    type: 'A' | 'AAAA',
    name: string,
    addresses: readonly string[],
    rotation: number,
  ): void {
    const count = addresses.length;
    if (count === 0) return;
    const start = rotation % count;
    for (let index = 0; index < count; index++) {
      records.push({ type, name, ttl: this.#ttl, data: addresses[(start + index) % count] as string });
    }
  }

  #services(records: Answer[], name: string, set: EndpointSet): void {
    for (const endpoint of set.endpoints) {
      records.push({
        type: 'SRV',
        name,
        ttl: this.#ttl,
        data: {
          priority: this.#priority(endpoint),
          weight: endpoint.weight,
          port: endpoint.port,
          target: this.#target(endpoint),
        },
      });
    }
  }

  #priority(endpoint: DnsEndpoint): number {
    if (this.#zone === undefined || endpoint.zone === this.#zone) return SRV_PRIORITY.sameZone;
    return SRV_PRIORITY.otherZone;
  }

  #target(endpoint: DnsEndpoint): string {
    return endpoint.addressLabel === undefined
      ? endpoint.address
      : `${endpoint.addressLabel}.addr.${this.#domain}`;
  }

  /** The A/AAAA records of the SRV targets in `answers`, each once. */
  #targets(answers: readonly Answer[]): Answer[] {
    const seen = new Set<string>();
    const records: Answer[] = [];
    for (const answer of answers) {
      if (answer.type !== 'SRV') continue;
      const target = answer.data.target;
      if (seen.has(target)) continue;
      seen.add(target);
      const labels = target.split('.');
      if (labels[1] !== 'addr') continue;
      const found = this.#index.lookup(labels.slice(0, 2));
      if (found.kind !== 'address') continue;
      records.push({
        type: found.family === 4 ? 'A' : 'AAAA',
        name: target,
        ttl: this.#ttl,
        data: found.address,
      });
    }
    return records;
  }

  #encode(
    query: DecodedPacket,
    question: Question,
    edns: boolean,
    reply: Reply,
    limit: number,
    transport: DnsTransport,
  ): Buffer {
    const extended = RCODE[reply.rcode];
    let flags =
      ((query.flags ?? 0) & (OPCODE_MASK | dnsPacket.RECURSION_DESIRED | dnsPacket.CHECKING_DISABLED)) |
      (extended & 0xf);
    if (reply.authoritative) flags |= dnsPacket.AUTHORITATIVE_ANSWER;
    const opt: Answer[] = edns
      ? [
          {
            type: 'OPT',
            name: '.',
            udpPayloadSize: MAX_UDP_PAYLOAD,
            extendedRcode: extended >> 4,
            ednsVersion: 0,
            flags: 0,
            flag_do: false,
            options: [],
          },
        ]
      : [];
    const packet = {
      type: 'response' as const,
      id: query.id ?? 0,
      flags,
      questions: [question],
      answers: reply.answers,
      authorities: reply.authorities,
      additionals: [...reply.additionals, ...opt],
    };
    const whole = dnsPacket.encode(packet);
    if (whole.length <= limit) return whole;
    // Additional records may be left out without saying so (RFC 2181 §9); the answer may not.
    packet.additionals = opt;
    if (dnsPacket.encodingLength(packet) <= limit) return dnsPacket.encode(packet);
    if (transport === 'udp') {
      packet.flags |= dnsPacket.TRUNCATED_RESPONSE;
      packet.answers = [];
      packet.authorities = [];
      return dnsPacket.encode(packet);
    }
    // Over TCP only the 64 KiB message limit is left: as many records as fit.
    let size = dnsPacket.encodingLength({ ...packet, answers: [] });
    const fitting: Answer[] = [];
    for (const answer of packet.answers) {
      size += dnsPacket.encodingLength({ answers: [answer] }) - 12;
      if (size > limit) break;
      fitting.push(answer);
    }
    packet.answers = fitting;
    return dnsPacket.encode(packet);
  }
}
