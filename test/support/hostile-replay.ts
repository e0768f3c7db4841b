import { setTimeout as sleep } from 'node:timers/promises';
import type { Gadget, HostileCase, Outcome } from './hostile-case.js';
import { readRequestStream, type StreamReading, type StreamRequest } from './http-request-stream.js';
import { readResponses } from './http-responses.js';
import type { Canary } from './raw-http.js';
import { rawExchange } from './raw-http.js';
import type { ParseError, RecordedRequest, RecordingBackend } from './recording-backend.js';

/** What went wrong with a case, by kind, so that runs against several proxies can be tallied. */
export type ViolationKind =
  /** The backend's parser saw a request the client did not send as one, refused bytes a request left behind, or was left holding a partial one. */
  | 'desync'
  /** A body reached the backend other than as the client framed it. */
  | 'framing'
  /** The proxy forwarded a request with bytes the backend's parser refuses. */
  | 'invalid'
  /** Host removed, replaced, or a request for a host the proxy does not route reached the backend. */
  | 'host'
  /** The backend switched protocols for a request that must not open a tunnel. */
  | 'tunnel'
  /** The never-registered canary was reached. */
  | 'canary'
  /** No status and no close for complete, valid requests. */
  | 'hang'
  /** An answer that fits no outcome (a success the backend never saw). */
  | 'answer'
  /** The outcome, or the status, is not the one the case requires. */
  | 'expectation';

export interface Violation {
  readonly kind: ViolationKind;
  readonly detail: string;
}

export interface CaseResult {
  readonly case: HostileCase;
  readonly tag: string;
  /** The payload as sent (placeholders filled in), latin1. */
  readonly bytes: string;
  readonly reading: StreamReading;
  readonly statuses: readonly number[];
  readonly closed: boolean;
  readonly outcome: Outcome;
  readonly violations: readonly Violation[];
}

export interface ReplayResult {
  readonly cases: readonly CaseResult[];
  /** Findings that no single case could be held responsible for. */
  readonly unattributed: readonly Violation[];
  /** The proxy answered a clean request, through to the backend, after the last case. */
  readonly servesAfterwards: boolean;
}

export interface ReplayTarget {
  /** The proxy under test, on 127.0.0.1. */
  readonly port: number;
  /** The host it routes to `backend`. */
  readonly host: string;
  readonly backend: RecordingBackend;
  readonly canary: Canary;
}

export interface ReplayOptions {
  /** Cases in flight at once (default 8). */
  readonly concurrency?: number;
  /** Longest wait for an answer (default 3 s). */
  readonly timeoutMs?: number;
  /** Quiet time that ends an exchange once its answer is complete (default 40 ms). */
  readonly settleMs?: number;
  /** Pause between the parts of a payload (default 100 ms). */
  readonly gapMs?: number;
}

/** A case's tag, as a path segment of a target (also inside an absolute-form or `//` target). */
const TAG = /\/(h\d+)(?=[/?#]|$)/;
const TAG_IN_BYTES = /\/(h\d+)(?=[/?# ])/;
let nextTag = 0;

// Headers a proxy adds, removes or re-frames by design; they say nothing about whether the
// hostile element of a request got through.
const PROXY_OWNED = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'content-length',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'forwarded',
  'x-real-ip',
  'x-request-id',
  'via',
]);

const PART_BREAK = '\u0100';

/** The parts of a payload with its placeholders filled in (see hostile-case.ts). */
export function fill(parts: readonly string[], tag: string, target: ReplayTarget): string[] {
  let text = parts
    .join(PART_BREAK)
    .replaceAll('{{id}}', tag)
    .replaceAll('{{host}}', target.host)
    .replaceAll('{{canary}}', `127.0.0.1:${target.canary.port}`);
  // Right to left, so a length never counts a placeholder still to be replaced.
  const lengths = [...text.matchAll(/\{\{rest(?::(\w+))?\}\}/g)].reverse();
  for (const placeholder of lengths) {
    const at = placeholder.index;
    const from = text.indexOf('\r\n\r\n', at) + 4;
    const until =
      placeholder[1] === undefined ? text.length : text.indexOf(`{{end:${placeholder[1]}}}`, from);
    const region = text.slice(from, until < 0 ? text.length : until);
    const length = region.replace(/\{\{end:\w+\}\}/g, '').replaceAll(PART_BREAK, '').length;
    text = text.slice(0, at) + String(length) + text.slice(at + placeholder[0].length);
  }
  return text.replace(/\{\{end:\w+\}\}/g, '').split(PART_BREAK);
}

interface Prepared {
  readonly hostileCase: HostileCase;
  readonly tag: string;
  readonly parts: readonly string[];
  readonly bytes: string;
  readonly reading: StreamReading;
  /**
   * The first request line carries no tag (`GET *`, `GET !`…): what the backend sees of it can
   * only be told apart when nothing else is in flight.
   */
  readonly alone: boolean;
}

interface Answer {
  readonly statuses: readonly number[];
  readonly closed: boolean;
  readonly timedOut: boolean;
}

/** Record and parse-error indexes that arrived while a case ran alone. */
interface Window {
  readonly index: number;
  readonly records: readonly [number, number];
  readonly parseErrors: readonly [number, number];
}

/**
 * Replays hostile cases as raw bytes through a proxy to a recording backend and judges each
 * one by what the client got and what the backend's own parser saw, measured against a strict
 * reading of the client's bytes (`readRequestStream`):
 *
 * - the client gets a status or a close for complete, valid requests;
 * - every request the backend parsed starts where a request starts on the client side (never
 *   inside a body, never after bytes no strict parser accepts), and at most once; the backend
 *   never refuses bytes a request left behind, and its connections end on a message boundary;
 * - a body reaches the backend as the client framed it;
 * - its Host is the client's, and one the proxy routes to this backend;
 * - no tunnel opens but for a WebSocket handshake, and the canary is never reached.
 *
 * Each case's first request is classified refused / normalised / unchanged. Cases run
 * `concurrency` at a time (those without a tag in their first request line one at a time,
 * afterwards); every request is traced to its case by the tag in its target, by the case that
 * ran alone when it arrived, or by the connection it arrived on.
 */
export async function replayCases(
  target: ReplayTarget,
  cases: readonly HostileCase[],
  options: ReplayOptions = {},
): Promise<ReplayResult> {
  const { concurrency = 8 } = options;
  const { backend, canary } = target;
  const first = {
    record: backend.requests.length,
    parseError: backend.parseErrors.length,
    tunnel: backend.tunnels.length,
    canary: canary.connections,
    lengths: backend.connections.map((bytes) => bytes.length),
  };

  const prepared = cases.map((hostileCase): Prepared => {
    const tag = `h${nextTag++}`;
    const parts = fill(
      typeof hostileCase.payload === 'string' ? [hostileCase.payload] : hostileCase.payload,
      tag,
      target,
    );
    const bytes = parts.join('');
    const firstLine = bytes.slice(0, Math.max(0, bytes.indexOf('\n')) || bytes.length);
    return {
      hostileCase,
      tag,
      parts,
      bytes,
      reading: readRequestStream(bytes),
      alone: !TAG.test(firstLine.split(' ')[1] ?? ''),
    };
  });
  const answers = new Array<Answer>(prepared.length);

  const shared = prepared.flatMap((entry, index) => (entry.alone ? [] : [index]));
  let next = 0;
  const worker = async () => {
    for (let position = next++; position < shared.length; position = next++) {
      const index = shared[position]!;
      answers[index] = await exchange(prepared[index]!, target, options);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  await quiescent(backend);
  const windows: Window[] = [];
  for (const [index, entry] of prepared.entries()) {
    if (!entry.alone) continue;
    const records = backend.requests.length;
    const parseErrors = backend.parseErrors.length;
    answers[index] = await exchange(entry, target, options);
    await quiescent(backend, 60);
    windows.push({
      index,
      records: [records, backend.requests.length],
      parseErrors: [parseErrors, backend.parseErrors.length],
    });
  }

  const attribution = new Attribution(prepared, windows);
  attribution.records(backend.requests.slice(first.record), first.record);
  attribution.parseErrors(backend.parseErrors.slice(first.parseError), first.parseError);
  const tunnelled = new Set<number>();
  for (const tunnel of backend.tunnels.slice(first.tunnel)) {
    tunnelled.add(tunnel.request.connection);
    // A WebSocket handshake the backend accepted is the one upgrade that may open a tunnel.
    if (tunnel.request.headers.upgrade?.trim().toLowerCase() === 'websocket') continue;
    attribution.toCaseOf(tunnel.request, backend.requests.indexOf(tunnel.request), {
      kind: 'tunnel',
      detail: `the backend switched protocols for ${describe(tunnel.request)}; tunnelled ${JSON.stringify(tunnel.bytes.slice(0, 80))}`,
    });
  }
  for (const connection of backend.open) {
    if (tunnelled.has(connection)) continue;
    const bytes = backend.connections[connection] ?? '';
    const stop = readRequestStream(bytes).stop;
    if (stop === undefined || stop.offset < (first.lengths[connection] ?? 0)) continue;
    attribution.toConnection(connection, bytes.slice(stop.offset), {
      kind: 'desync',
      detail: `the backend's connection holds bytes that are no complete request (${stop.reason}): ${JSON.stringify(bytes.slice(stop.offset, stop.offset + 120))}`,
    });
  }
  if (canary.connections > first.canary)
    attribution.toBytes(canary.received.join(''), {
      kind: 'canary',
      detail: `the canary was reached: ${JSON.stringify(canary.received.slice(-3))}`,
    });

  const results = prepared.map((entry, index): CaseResult => {
    const answer = answers[index]!;
    const violations = attribution.violations[index]!;
    const outcome = judge(
      entry,
      attribution.forwarded[index]!,
      attribution.invalid[index]!,
      answer,
      target,
      violations,
    );
    return {
      case: entry.hostileCase,
      tag: entry.tag,
      bytes: entry.bytes,
      reading: entry.reading,
      statuses: answer.statuses,
      closed: answer.closed,
      outcome,
      violations,
    };
  });
  return { cases: results, unattributed: attribution.unattributed, servesAfterwards: await serves(target) };
}

async function exchange(entry: Prepared, target: ReplayTarget, options: ReplayOptions): Promise<Answer> {
  const { timeoutMs = 3_000, settleMs = 40, gapMs = 100 } = options;
  const { text, closed, elapsedMs } = await rawExchange(target.port, entry.parts, {
    timeoutMs,
    settleMs,
    quietMs: 300,
    gapMs,
    // A request the bytes leave unfinished is answered only when the client gives up.
    endAfterWrite: entry.reading.stop?.incomplete === true,
  });
  return {
    statuses: readResponses(text).statuses,
    closed,
    timedOut: !closed && text === '' && elapsedMs >= timeoutMs,
  };
}

/** Traces what the backend saw to the cases that caused it. */
class Attribution {
  readonly violations: Violation[][];
  readonly forwarded: RecordedRequest[][];
  /** The backend's parser refused the case's request as the proxy forwarded it. */
  readonly invalid: boolean[];
  readonly unattributed: Violation[] = [];
  readonly #prepared: readonly Prepared[];
  readonly #windows: readonly Window[];
  readonly #byTag: Map<string, number>;
  /** The case a connection last carried: bytes on it that belong to no case are that case's doing. */
  readonly #lastCaseOn = new Map<number, number>();

  constructor(prepared: readonly Prepared[], windows: readonly Window[]) {
    this.#prepared = prepared;
    this.#windows = windows;
    this.#byTag = new Map(prepared.map((entry, index) => [entry.tag, index]));
    this.violations = prepared.map(() => []);
    this.forwarded = prepared.map(() => []);
    this.invalid = prepared.map(() => false);
  }

  /** By the tag in its target; else by the case that ran alone; else by the one case that sent that request line. */
  caseOf(record: RecordedRequest, index: number): number | undefined {
    const tag = TAG.exec(record.url)?.[1];
    if (tag !== undefined && this.#byTag.has(tag)) return this.#byTag.get(tag);
    const window = this.#windows.find(({ records: [from, to] }) => index >= from && index < to);
    if (window) return window.index;
    const line = `${record.method} ${record.url} `;
    const senders = this.#prepared.flatMap((entry, at) => (entry.bytes.includes(line) ? [at] : []));
    return senders.length === 1 ? senders[0] : undefined;
  }

  records(records: readonly RecordedRequest[], firstIndex: number): void {
    for (const [offset, record] of records.entries()) {
      const index = this.caseOf(record, firstIndex + offset);
      if (index === undefined) {
        this.toConnection(record.connection, record.url, {
          kind: 'desync',
          detail: `the backend parsed a request no case sent, after this case's on its connection: ${describe(record)}`,
        });
        continue;
      }
      this.#lastCaseOn.set(record.connection, index);
      this.forwarded[index]!.push(record);
    }
  }

  /**
   * A request the proxy forwarded as the client sent it, which the backend cannot read, is that
   * case's; bytes before a request line, or a request line spoiled, are what the last request
   * on the connection left behind.
   */
  parseErrors(errors: readonly ParseError[], firstIndex: number): void {
    for (const [offset, error] of errors.entries()) {
      const window = this.#windows.find(
        ({ parseErrors: [from, to] }) => firstIndex + offset >= from && firstIndex + offset < to,
      );
      const index = this.#forwardedAsSent(error, window?.index);
      if (index !== undefined) {
        this.invalid[index] = true;
        this.violations[index]!.push({
          kind: 'invalid',
          detail: `the backend's parser refused the forwarded request (${error.code}): ${JSON.stringify(error.bytes.slice(0, 160))}`,
        });
        continue;
      }
      const violation: Violation = {
        kind: 'desync',
        detail: `the backend's parser refused bytes (${error.code}): ${JSON.stringify(error.bytes.slice(Math.max(0, error.offset - 60), error.offset + 60))}`,
      };
      if (window) this.violations[window.index]!.push(violation);
      else this.toConnection(error.connection, error.bytes, violation);
    }
  }

  toCaseOf(record: RecordedRequest, index: number, violation: Violation): void {
    const owner = this.caseOf(record, index);
    if (owner === undefined) this.unattributed.push(violation);
    else this.violations[owner]!.push(violation);
  }

  toConnection(connection: number, bytes: string, violation: Violation): void {
    const index = this.#lastCaseOn.get(connection);
    if (index === undefined) this.toBytes(bytes, violation);
    else this.violations[index]!.push(violation);
  }

  toBytes(bytes: string, violation: Violation): void {
    const index = this.#byTag.get(TAG_IN_BYTES.exec(bytes)?.[1] ?? '');
    if (index === undefined) this.unattributed.push(violation);
    else this.violations[index]!.push(violation);
  }

  #forwardedAsSent(error: ParseError, alone: number | undefined): number | undefined {
    const line = failingRequestLine(error.bytes, error.offset);
    if (line === undefined) return undefined;
    const index = this.#byTag.get(TAG_IN_BYTES.exec(line)?.[1] ?? '') ?? alone;
    if (index === undefined) return undefined;
    const { method, target } = requestLineAt(line, 0);
    const sent = this.#prepared[index]!;
    const asSent = sent.reading.starts.some((start) => {
      const client = requestLineAt(sent.bytes, start);
      return client.method === method && sameTarget(client.target, target);
    });
    return asSent ? index : undefined;
  }
}

/** Host without port and trailing dot, lowercased: how a proxy routes. */
function routedHost(value: string): string {
  return value.trim().toLowerCase().replace(/:\d*$/, '').replace(/\.$/, '');
}

function fieldValues(headers: readonly (readonly [string, string])[], name: string): string[] {
  return headers.filter(([field]) => field.toLowerCase() === name).map(([, value]) => value);
}

function rawValues(raw: readonly string[], name: string): string[] {
  const values: string[] = [];
  for (let index = 0; index < raw.length; index += 2)
    if (raw[index]!.toLowerCase() === name) values.push(raw[index + 1]!);
  return values;
}

function hasGadget(record: RecordedRequest, gadget: Gadget): boolean {
  return rawValues(record.rawHeaders, gadget.name.trim().toLowerCase()).includes(gadget.value.trim());
}

/** The client's field lines, minus what proxies own, all present at the backend unchanged. */
function forwardedUnchanged(sent: StreamRequest, record: RecordedRequest): boolean {
  for (const [name, value] of sent.headers) {
    const lower = name.toLowerCase();
    if (PROXY_OWNED.has(lower)) continue;
    if (!rawValues(record.rawHeaders, lower).includes(value)) return false;
  }
  return true;
}

/**
 * The target a proxy forwarded for the one the client sent: as sent, or in origin form (from
 * absolute form), or without a fragment or an empty query (which no request target may carry,
 * and a proxy that parses the target drops).
 */
function sameTarget(sent: string, forwarded: string): boolean {
  const bare = (target: string) => target.replace(/#.*$/, '').replace(/\?$/, '');
  const origin = originForm(sent);
  return (
    sent === forwarded ||
    origin === forwarded ||
    bare(sent) === bare(forwarded) ||
    (origin !== undefined && bare(origin) === bare(forwarded))
  );
}

/** The path of an absolute-form target, which a proxy may forward in origin form. */
function originForm(target: string): string | undefined {
  const match = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*([/?][^#]*)?$/i.exec(target);
  return match ? (match[1] ?? '/') : undefined;
}

function describe(record: RecordedRequest): string {
  return JSON.stringify(`${record.method} ${record.url}`.slice(0, 120));
}

/** The request line of the message the backend's parser was in when it stopped at `offset`. */
function failingRequestLine(bytes: string, offset: number): string | undefined {
  let found: string | undefined;
  for (const match of bytes.matchAll(/(?:^|\n)([!-~]+ [^ \r\n]+ [^\r\n]*)\r?\n/g)) {
    const start = match.index + match[0].indexOf(match[1]!);
    if (start > offset) break;
    if (/ HTTP\/[^ ]*$/.test(match[1]!)) found = match[1]!;
  }
  return found;
}

/** The request line at a request start, read leniently: method and target as any parser would split them. */
function requestLineAt(bytes: string, start: number): { method: string; target: string } {
  const end = bytes.indexOf('\n', start);
  const [method = '', target = ''] = bytes
    .slice(start, end < 0 ? undefined : end)
    .replace(/\r$/, '')
    .split(/[ \t]+/);
  return { method, target };
}

/** Checks one case's forwarded requests against the client's bytes and classifies its first request. */
function judge(
  entry: Prepared,
  records: readonly RecordedRequest[],
  forwardedInvalid: boolean,
  answer: Answer,
  target: ReplayTarget,
  violations: Violation[],
): Outcome {
  const { hostileCase, reading } = entry;
  // Bytes a strict reader refuses may be read by a lenient one as unfinished: waiting is no hang.
  if (answer.timedOut && reading.stop === undefined)
    violations.push({ kind: 'hang', detail: 'no status and no close for complete, valid requests' });

  // Each backend request takes the first unused request start it can be. A request whose line
  // a strict reader refuses is still one the client sent (the proxy was lenient, which the
  // outcome shows); one that starts anywhere else is not.
  const used = new Set<number>();
  let first: RecordedRequest | undefined;
  for (const record of records) {
    const candidates = reading.starts.filter((offset) => {
      if (used.has(offset)) return false;
      const line = requestLineAt(entry.bytes, offset);
      return line.method === record.method && sameTarget(line.target, record.url);
    });
    // The same request line sent more than once: the one whose Host and body the backend got.
    const sentAt = (offset: number) => reading.requests.find((request) => request.start === offset);
    const hostOf = (offset: number) => fieldValues(sentAt(offset)?.headers ?? [], 'host');
    const host = rawValues(record.rawHeaders, 'host')[0] ?? '';
    const start =
      candidates.find((offset) => hostOf(offset).includes(host) && sentAt(offset)?.body === record.body) ??
      candidates.find((offset) => hostOf(offset).includes(host)) ??
      candidates[0];
    if (start === undefined) {
      violations.push({
        kind: 'desync',
        detail: `the backend parsed ${describe(record)}, which the client did not send as a request (strict reading: ${reading.stop?.reason ?? 'complete'})`,
      });
      continue;
    }
    used.add(start);
    if (start === reading.starts[0]) first = record;
    const sent = reading.requests.find((request) => request.start === start);
    checkForwarded(record, sent, target, violations);
  }

  let outcome: Outcome;
  if (first === undefined && forwardedInvalid) {
    outcome = 'unchanged';
  } else if (first === undefined) {
    outcome = 'refused';
    const status = answer.statuses.find((code) => code >= 200) ?? answer.statuses[0];
    if (status !== undefined && status < 400 && records.length === 0)
      violations.push({
        kind: 'answer',
        detail: `answered ${status}, yet the backend never saw the request`,
      });
  } else if (hostileCase.gadget) {
    outcome = hasGadget(first, hostileCase.gadget) ? 'unchanged' : 'normalised';
  } else {
    const sent = reading.requests.find((request) => request.start === reading.starts[0]);
    outcome = sent === undefined || forwardedUnchanged(sent, first) ? 'unchanged' : 'normalised';
  }
  checkExpectation(hostileCase, outcome, answer, violations);
  return outcome;
}

/** Body and Host of a request the client sent, as the backend got it. */
function checkForwarded(
  record: RecordedRequest,
  sent: StreamRequest | undefined,
  target: ReplayTarget,
  violations: Violation[],
): void {
  if (sent?.body !== undefined && record.body !== sent.body)
    violations.push({
      kind: 'framing',
      detail: `${describe(record)} reached the backend with a ${record.body.length}-byte body, the client framed ${sent.body.length} bytes`,
    });
  const hosts = rawValues(record.rawHeaders, 'host');
  const sentHosts = sent ? fieldValues(sent.headers, 'host') : [];
  if (hosts.length !== 1)
    violations.push({
      kind: 'host',
      detail: `${describe(record)} reached the backend with ${hosts.length} Host fields`,
    });
  else if (sentHosts.length > 0 && !sentHosts.includes(hosts[0]!))
    violations.push({
      kind: 'host',
      detail: `${describe(record)}: Host ${JSON.stringify(sentHosts[0])} became ${JSON.stringify(hosts[0])}`,
    });
  else if (routedHost(hosts[0]!) !== routedHost(target.host))
    violations.push({
      kind: 'host',
      detail: `${describe(record)} for host ${JSON.stringify(hosts[0])}, which the proxy does not route here, reached the backend`,
    });
}

function checkExpectation(
  hostileCase: HostileCase,
  outcome: Outcome,
  answer: Answer,
  violations: Violation[],
): void {
  const expected = hostileCase.expect;
  if (!expected) return;
  const outcomes = typeof expected.outcome === 'string' ? [expected.outcome] : expected.outcome;
  const status = answer.statuses[0];
  if (!outcomes.includes(outcome))
    violations.push({
      kind: 'expectation',
      detail: `${outcome}, expected ${outcomes.join(' or ')} (answer ${status ?? (answer.closed ? 'close' : 'none')})`,
    });
  else if (
    outcome === 'refused' &&
    expected.statuses &&
    (status === undefined || !expected.statuses.includes(status))
  )
    violations.push({
      kind: 'expectation',
      detail: `refused with ${status ?? (answer.closed ? 'a close' : 'nothing')}, expected ${expected.statuses.join(' or ')}`,
    });
}

/** Waits until the backend has taken in nothing new for `quietMs` (at most `timeoutMs`). */
async function quiescent(backend: RecordingBackend, quietMs = 150, timeoutMs = 5_000): Promise<void> {
  const snapshot = () =>
    `${backend.requests.length}/${backend.parseErrors.length}/${backend.connections.reduce((sum, bytes) => sum + bytes.length, 0)}`;
  const deadline = Date.now() + timeoutMs;
  let last = snapshot();
  let since = Date.now();
  while (Date.now() < deadline) {
    await sleep(20);
    const now = snapshot();
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return;
  }
}

/** A clean request answered 200 by way of the backend. */
async function serves(target: ReplayTarget): Promise<boolean> {
  const tag = `h${nextTag++}`;
  const before = target.backend.requests.length;
  const { text } = await rawExchange(
    target.port,
    `GET /${tag}/alive HTTP/1.1\r\nHost: ${target.host}\r\nConnection: close\r\n\r\n`,
    { timeoutMs: 5_000 },
  );
  return (
    readResponses(text).statuses[0] === 200 &&
    target.backend.requests.slice(before).some((record) => record.url === `/${tag}/alive`)
  );
}
