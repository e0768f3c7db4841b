/**
 * A seeded, bounded mutator of valid HTTP/1.1 requests, after the mutators of narfindustries'
 * HTTP Garden (`tools/mutations.py`: byte deletion, replacement and insertion, "meaningful"
 * bytes, header insertion, deletion and replacement, method replacement, request concatenation,
 * splitting, duplication and boundary shifts, random re-chunking with extensions and trailers),
 * plus what request smuggling turns on: duplicated and obfuscated framing headers, headers
 * listed in `Connection`, chunk sizes and extensions, version strings, request-target forms and
 * obs-fold. The same seed always yields the same cases (mutations never cut into a
 * placeholder, so the tag a run assigns does not shift them); a failure is reproduced by
 * running again with the seed it printed.
 */

import type { HostileCase } from './hostile-case.js';
import { seededRandom } from './record-fuzzer.js';

type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const integer = (random: Random, min: number, max: number) => min + Math.floor(random() * (max - min + 1));

/** Valid requests to start from; a payload is a list of parts, written one after the other. */
const SEEDS: readonly (readonly string[])[] = [
  ['GET /{{id}}/a HTTP/1.1\r\nHost: {{host}}\r\nUser-Agent: fuzz\r\nAccept: */*\r\n\r\n'],
  [
    'POST /{{id}}/b HTTP/1.1\r\nHost: {{host}}\r\nContent-Type: text/plain\r\nContent-Length: {{rest}}\r\n\r\nGET /{{id}}/smuggled HTTP/1.1\r\nHost: {{canary}}\r\n\r\n',
  ],
  [
    // The chunk carries no tag: its size must stay right.
    'POST /{{id}}/c HTTP/1.1\r\nHost: {{host}}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1a\r\nGET /smuggled HTTP/1.1\r\n\r\n\r\n0\r\n\r\n',
  ],
  [
    'GET /{{id}}/d HTTP/1.1\r\nHost: {{host}}\r\nContent-Length: {{rest}}\r\n\r\nGET /{{id}}/smuggled HTTP/1.1\r\nHost: {{canary}}\r\n\r\n',
  ],
  [
    'GET /{{id}}/e HTTP/1.1\r\nHost: {{host}}\r\n\r\n',
    'POST /{{id}}/f HTTP/1.1\r\nHost: {{host}}\r\nContent-Length: 5\r\n\r\nhello',
    'GET /{{id}}/g HTTP/1.1\r\nHost: {{host}}\r\nConnection: close\r\n\r\n',
  ],
  [
    'GET /{{id}}/ws HTTP/1.1\r\nHost: {{host}}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
  ],
  ['OPTIONS /{{id}}/h HTTP/1.0\r\nHost: {{host}}\r\nConnection: keep-alive\r\n\r\n'],
];

const MEANINGFUL = ['\r\n', '\r', '\n', '\x00', ':', '\t', ' ', '\r\n ', '\r\n\t', ',', ';'];

const FIELDS = [
  // tools/mutations.py _SEED_HEADERS
  'Content-Length: 0',
  'Transfer-Encoding: chunked',
  'Transfer-Encoding: identity',
  ': ',
  'Test: ',
  'Connection: close',
  'Connection: keep-alive',
  // framing, duplicated and obfuscated
  'Content-Length: {{rest}}',
  'Content-Length: 5',
  'Content-Length: +5',
  'Content-Length: 5, 5',
  'Content-Length: 0x5',
  'Transfer-Encoding : chunked',
  'Transfer-Encoding:\tchunked',
  'Transfer-Encoding: xchunked',
  'Transfer-Encoding: chunked, identity',
  'Transfer-Encoding: ,chunked',
  'Transfer_Encoding: chunked',
  ' Transfer-Encoding: chunked',
  'Transfer-Encoding:\r\n chunked',
  // hop-by-hop abuse, upgrades, routing
  'Connection: content-length',
  'Connection: transfer-encoding',
  'Connection: host',
  'Connection: upgrade',
  'Upgrade: h2c',
  'Upgrade: websocket',
  'HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA',
  'Expect: 100-continue',
  'Host: {{canary}}',
  'X-Forwarded-For: 6.6.6.6',
];

const METHODS = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
  'PRI',
  'get',
  'G ET',
];

const VERSIONS = [
  'HTTP/1.1',
  'HTTP/1.0',
  'HTTP/0.9',
  'HTTP/2.0',
  'HTTP/1.10',
  'HTTP/1',
  'http/1.1',
  'HTTP/1.1 ',
  'HTTP /1.1',
];

const TARGETS = [
  '/{{id}}/t',
  'http://{{host}}/{{id}}/t',
  'http://{{canary}}/{{id}}/t',
  '//{{canary}}/{{id}}/t',
  '{{host}}:80',
  '*',
  '/{{id}}/t?#',
  '/{{id}}/t?a=b c',
  '/{{id}}/%2e%2e/t',
  '/{{id}}/t\x00',
];

const CHUNK_EXTENSIONS = ['', ';abc=123', ';a', ' ;a=b', ';a="q;\\"x"', ';a=b;c', '; a = b'];

/** Index ranges of placeholders, which mutations treat as atoms. */
function placeholders(text: string): [number, number][] {
  return [...text.matchAll(/\{\{[a-z:]+\}\}/g)].map((match) => [match.index, match.index + match[0].length]);
}

/** A random position in `text` that is not inside a placeholder (`end` allows text.length). */
function position(random: Random, text: string, end: boolean): number {
  const at = integer(random, 0, Math.max(0, end ? text.length : text.length - 1));
  const inside = placeholders(text).find(([from, to]) => at > from && at < to);
  return inside ? inside[0] : at;
}

type Mutation = (random: Random, parts: string[]) => string | undefined;

/** Applies `change` to a random part; the name of the mutation, or undefined if it did not apply. */
function onPart(random: Random, parts: string[], name: string, change: (part: string) => string | undefined) {
  const index = integer(random, 0, parts.length - 1);
  const changed = change(parts[index]!);
  if (changed === undefined || changed === parts[index]) return undefined;
  parts[index] = changed;
  return name;
}

/** The field lines of a part's first request, edited by `change`, or undefined without a head. */
function onFields(random: Random, parts: string[], name: string, change: (lines: string[]) => void) {
  return onPart(random, parts, name, (part) => {
    const end = part.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    const lines = part.slice(0, end).split('\r\n');
    change(lines);
    return `${lines.join('\r\n')}${part.slice(end)}`;
  });
}

const byteMutations: Mutation[] = [
  (random, parts) =>
    onPart(random, parts, 'delete a byte', (part) => {
      if (part.length === 0) return undefined;
      const at = position(random, part, false);
      return placeholders(part).some(([from]) => from === at)
        ? undefined
        : part.slice(0, at) + part.slice(at + 1);
    }),
  (random, parts) =>
    onPart(random, parts, 'replace a byte', (part) => {
      if (part.length === 0) return undefined;
      const at = position(random, part, false);
      if (placeholders(part).some(([from]) => from === at)) return undefined;
      return part.slice(0, at) + String.fromCharCode(integer(random, 0, 255)) + part.slice(at + 1);
    }),
  (random, parts) =>
    onPart(random, parts, 'insert a byte', (part) => {
      const at = position(random, part, true);
      return part.slice(0, at) + String.fromCharCode(integer(random, 0, 255)) + part.slice(at);
    }),
  (random, parts) => {
    const meaningful = pick(random, MEANINGFUL);
    return onPart(random, parts, `insert ${JSON.stringify(meaningful)}`, (part) => {
      const at = position(random, part, true);
      return part.slice(0, at) + meaningful + part.slice(at);
    });
  },
];

const fieldMutations: Mutation[] = [
  (random, parts) => {
    const field = pick(random, FIELDS);
    return onFields(random, parts, `insert field ${JSON.stringify(field)}`, (lines) =>
      lines.splice(integer(random, 1, lines.length), 0, field),
    );
  },
  (random, parts) =>
    onFields(random, parts, 'delete a field', (lines) => {
      if (lines.length > 1) lines.splice(integer(random, 1, lines.length - 1), 1);
    }),
  (random, parts) => {
    const field = pick(random, FIELDS);
    return onFields(random, parts, `replace a field with ${JSON.stringify(field)}`, (lines) => {
      if (lines.length > 1) lines[integer(random, 1, lines.length - 1)] = field;
    });
  },
  (random, parts) =>
    onFields(random, parts, 'duplicate a field', (lines) => {
      if (lines.length > 1) {
        const at = integer(random, 1, lines.length - 1);
        lines.splice(at, 0, lines[at]!);
      }
    }),
  (random, parts) =>
    onFields(random, parts, 'list a field in Connection', (lines) => {
      if (lines.length > 1) {
        const name = lines[integer(random, 1, lines.length - 1)]!.split(':')[0]!.trim();
        lines.splice(integer(random, 1, lines.length), 0, `Connection: ${name}`);
      }
    }),
  (random, parts) => {
    const method = pick(random, METHODS);
    return onFields(random, parts, `method ${method}`, (lines) => {
      lines[0] = lines[0]!.replace(/^\S*/, method);
    });
  },
  (random, parts) => {
    const version = pick(random, VERSIONS);
    return onFields(random, parts, `version ${JSON.stringify(version)}`, (lines) => {
      lines[0] = lines[0]!.replace(/ HTTP\/1\.[01]$/, ` ${version}`);
    });
  },
  (random, parts) => {
    const target = pick(random, TARGETS);
    return onFields(random, parts, `target ${JSON.stringify(target)}`, (lines) => {
      lines[0] = lines[0]!.replace(/^(\S+) \S+/, `$1 ${target}`);
    });
  },
];

const bodyMutations: Mutation[] = [
  // Re-chunks a chunked body: random cuts, extensions, size spellings, maybe a trailer.
  (random, parts) =>
    onPart(random, parts, 're-chunk the body', (part) => {
      const head = part.indexOf('\r\n\r\n');
      if (head < 0 || !/\r\ntransfer-encoding: chunked\r\n/i.test(part.slice(0, head + 2))) return undefined;
      const body = decodeChunked(part.slice(head + 4));
      if (body === undefined) return undefined;
      let chunked = '';
      for (let offset = 0; offset < body.length; ) {
        const size = Math.min(body.length - offset, integer(random, 1, 12));
        const spelled = pick(random, [
          size.toString(16),
          size.toString(16).toUpperCase(),
          `00${size.toString(16)}`,
        ]);
        chunked += `${spelled}${pick(random, CHUNK_EXTENSIONS)}\r\n${body.slice(offset, offset + size)}\r\n`;
        offset += size;
      }
      const trailer = random() < 0.5 ? 'Trailer-Is: This\r\n' : '';
      return `${part.slice(0, head + 4)}${chunked}0${pick(random, CHUNK_EXTENSIONS)}\r\n${trailer}\r\n`;
    }),
  (random, parts) => {
    const spelling = pick(random, ['0x', '+', '-', ' ', '0_', 'ffffffffffffffff', '\t', 'g']);
    return onPart(random, parts, `chunk size with ${JSON.stringify(spelling)}`, (part) => {
      const head = part.indexOf('\r\n\r\n');
      if (head < 0 || !/\r\ntransfer-encoding: chunked\r\n/i.test(part.slice(0, head + 2))) return undefined;
      return `${part.slice(0, head + 4)}${spelling}${part.slice(head + 4)}`;
    });
  },
];

const streamMutations: Mutation[] = [
  (random, parts) => {
    if (parts.length < 2) return undefined;
    const at = integer(random, 0, parts.length - 2);
    parts.splice(at, 2, parts[at]! + parts[at + 1]!);
    return 'concatenate two parts';
  },
  (random, parts) => {
    const at = integer(random, 0, parts.length - 1);
    const part = parts[at]!;
    if (part.length < 2) return undefined;
    const cut = position(random, part, false) || 1;
    parts.splice(at, 1, part.slice(0, cut), part.slice(cut));
    return 'split a part';
  },
  (random, parts) => {
    if (parts.length < 2) return undefined;
    const at = integer(random, 0, parts.length - 2);
    const joined = parts[at]! + parts[at + 1]!;
    const cut = position(random, joined, true);
    parts.splice(at, 2, joined.slice(0, cut), joined.slice(cut));
    return 'shift a part boundary';
  },
  (random, parts) => {
    const at = integer(random, 0, parts.length - 1);
    parts.splice(at, 0, parts[at]!);
    return 'duplicate a part';
  },
  (random, parts) => {
    if (parts.length < 2) return undefined;
    parts.splice(integer(random, 0, parts.length - 1), 1);
    return 'delete a part';
  },
  (random, parts) => {
    parts.push(...pick(random, SEEDS));
    return 'pipeline another request';
  },
];

const MUTATIONS = [
  ...byteMutations,
  ...fieldMutations,
  ...fieldMutations,
  ...bodyMutations,
  ...streamMutations,
];

function decodeChunked(body: string): string | undefined {
  let decoded = '';
  let cursor = 0;
  for (;;) {
    const end = body.indexOf('\r\n', cursor);
    if (end < 0) return undefined;
    const size = Number.parseInt(body.slice(cursor, end), 16);
    if (Number.isNaN(size)) return undefined;
    if (size === 0) return decoded;
    decoded += body.slice(end + 2, end + 2 + size);
    cursor = end + 2 + size + 2;
  }
}

export interface MutatorOptions {
  readonly seed: number;
  readonly count: number;
}

/** `count` mutated requests, deterministically from `seed`; each case is named after its mutations. */
export function* mutatedRequests(options: MutatorOptions): Generator<HostileCase> {
  const random = seededRandom(options.seed);
  for (let index = 0; index < options.count; index += 1) {
    const seed = integer(random, 0, SEEDS.length - 1);
    const parts = [...SEEDS[seed]!];
    const applied: string[] = [];
    const rounds = integer(random, 1, 3);
    for (let attempt = 0; applied.length < rounds && attempt < 10; attempt += 1) {
      const name = pick(random, MUTATIONS)(random, parts);
      if (name !== undefined) applied.push(name);
    }
    yield {
      name: `seed ${options.seed} #${index}: request ${seed}, ${applied.join(', ')}`,
      payload: parts.filter((part) => part !== ''),
    };
  }
}
