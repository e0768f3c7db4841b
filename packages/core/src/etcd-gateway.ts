import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import { whenAborted } from './abort-signal.js';
import type { EtcdConfig } from './common-config.js';
import {
  EtcdUnavailableError,
  LeaseNotFoundError,
  WatchCompactedError,
  WatchInterruptedError,
} from './errors.js';
import type {
  CallOptions,
  EtcdStore,
  LeaseStatus,
  RangeOptions,
  RangeResult,
  StoredKeyValue,
  WatchHandle,
  WatchListener,
  WatchRequest,
} from './etcd-store.js';
import { firstAnsweringMember } from './first-answering-member.js';

export interface EtcdGatewayOptions {
  /** Deadline of each call, in ms, unless the call names its own (streams have none). */
  readonly callTimeoutMs?: number;
  /**
   * After a member failed a call, how long the next call may spend finding one that can serve
   * before it gives up (default 1 s): the caller's retry loop asks again soon after.
   */
  readonly memberSearchMs?: number;
}

/** How often a member that answered "no leader" is asked again while searching. */
const MEMBER_RETRY_MS = 200;

/** A key-value as etcd's JSON gateway writes it: bytes in base64, 64-bit numbers as strings. */
interface GatewayKeyValue {
  key: string;
  value?: string;
  mod_revision?: string;
  lease?: string;
}

/** An error as the gateway writes it: flat for unary calls, nested for streams. */
interface GatewayError {
  error?: string | { message?: string; grpc_code?: number };
  message?: string;
  code?: number;
}

/** etcd says why it refused a call; `status` is the HTTP one, `code` the gRPC one. */
class GatewayRefusal extends Error {
  readonly status: number;
  readonly code: number | undefined;

  constructor(status: number, body: GatewayError) {
    const nested = typeof body.error === 'object' ? body.error : undefined;
    super(body.message ?? nested?.message ?? (body.error as string | undefined) ?? `HTTP ${status}`);
    this.status = status;
    this.code = body.code ?? nested?.grpc_code;
  }

  /**
   * The member has no leader (cut off from its quorum, or an election is on): it can serve
   * nothing now, but another member may. Calls ask for this answer (the `hasleader` metadata)
   * instead of waiting out etcd's own request timeout, about 7 s, on a proposal nobody applies.
   */
  get noLeader(): boolean {
    return /no leader/i.test(this.message);
  }
}

/**
 * gRPC metadata through the gateway: `hasleader` makes a member without a leader refuse calls at
 * once, and end watches and keep-alive streams when it loses its leader (what clientv3's
 * `WithRequireLeader` does), rather than hold them silently.
 */
const REQUIRE_LEADER = { 'grpc-metadata-hasleader': 'true' } as const;

/** node:https, loaded only for TLS endpoints: it costs an idle process about 3 MB. */
const loadHttps = () => createRequire(import.meta.url)('node:https') as typeof import('node:https');

const base64 = (text: string) => Buffer.from(text).toString('base64');
const fromBase64 = (text: string | undefined) => Buffer.from(text ?? '', 'base64');

function stored(kv: GatewayKeyValue): StoredKeyValue {
  return {
    key: fromBase64(kv.key).toString(),
    value: fromBase64(kv.value),
    modRevision: Number(kv.mod_revision ?? 0),
    lease: kv.lease ?? '0',
  };
}

const isTokenExpired = (message: string) => /invalid auth token|auth token is expired/i.test(message);

/**
 * A small client for etcd's HTTP/JSON gateway (`/v3/kv/range`, `/put`, `/deleterange`, the
 * streaming `/v3/watch`, `/v3/lease/*` and `/v3/auth/authenticate`) behind the `EtcdStore`
 * interface, on node:http alone. It is what lets a sidecar bridge talk to etcd without etcd3,
 * grpc-js and protobufjs, which cost a process about 17 MB.
 *
 * - Every call has a deadline, and requires a member with a leader. A call that fails on the
 *   network (refused, reset, timed out — a frozen member) or finds a member without a leader is
 *   tried once more, and from then on each call first asks every member at once which can serve
 *   now (`firstAnsweringMember`, a linearizable read each), until one call succeeds: so a bridge on the wrong side of a
 *   partition finds the heal within moments instead of after deadlines spent on members that
 *   cannot answer. etcd's own answers (permission denied, lease not found) are not retried.
 * - With a username and password it authenticates, sends the token with every call, and
 *   authenticates again once when etcd says the token is invalid or expired.
 * - TLS: the CA and client certificate and key of `WHARF_ETCD_CA/CERT/KEY`, read once.
 *
 * Failures are `EtcdUnavailableError`s naming the endpoint and what etcd or the network said.
 */
export class EtcdGateway implements EtcdStore {
  readonly #endpoints: readonly URL[];
  readonly #config: EtcdConfig;
  readonly #callTimeoutMs: number;
  readonly #agent: HttpAgent;
  /** Streams (watches) get sockets of their own, never reused by or timed out with calls. */
  readonly #streamAgent: HttpAgent;
  readonly #request: typeof httpRequest;
  readonly #memberSearchMs: number;
  #current = 0;
  /** The last call failed on its member: the next one first looks for a member that can serve. */
  #suspect = false;
  #search: Promise<URL> | undefined;
  #token: Promise<string> | undefined;
  #closed = false;

  constructor(config: EtcdConfig, options: EtcdGatewayOptions = {}) {
    this.#config = config;
    this.#endpoints = config.endpoints.map((endpoint) => new URL(endpoint));
    this.#callTimeoutMs = options.callTimeoutMs ?? 5_000;
    this.#memberSearchMs = options.memberSearchMs ?? 1_000;
    const tls = this.#endpoints.some((endpoint) => endpoint.protocol === 'https:');
    if (tls) {
      const https = loadHttps();
      const credentials = {
        ...(config.ca ? { ca: readFileSync(config.ca) } : {}),
        ...(config.cert && config.key
          ? { cert: readFileSync(config.cert), key: readFileSync(config.key) }
          : {}),
      };
      this.#agent = new https.Agent({ keepAlive: true, ...credentials });
      this.#streamAgent = new https.Agent({ keepAlive: false, ...credentials });
      this.#request = https.request;
    } else {
      this.#agent = new HttpAgent({ keepAlive: true });
      this.#streamAgent = new HttpAgent({ keepAlive: false });
      this.#request = httpRequest;
    }
  }

  async range(key: string, options: RangeOptions = {}, call?: CallOptions): Promise<RangeResult> {
    const response = await this.#call<{
      header?: { revision?: string };
      kvs?: GatewayKeyValue[];
      more?: boolean;
      count?: string;
    }>(
      '/v3/kv/range',
      {
        key: base64(key),
        ...(options.end === undefined ? {} : { range_end: base64(options.end) }),
        ...(options.limit ? { limit: options.limit } : {}),
        ...(options.revision === undefined ? {} : { revision: String(options.revision) }),
        ...(options.newestFirst ? { sort_order: 'DESCEND', sort_target: 'MOD' } : {}),
      },
      call,
    );
    return {
      kvs: (response.kvs ?? []).map(stored),
      more: response.more === true,
      count: Number(response.count ?? 0),
      revision: Number(response.header?.revision ?? 0),
    };
  }

  async put(key: string, value: string, options: { lease?: string | undefined } = {}): Promise<void> {
    const lease = options.lease;
    try {
      await this.#call('/v3/kv/put', {
        key: base64(key),
        value: base64(value),
        ...(lease !== undefined && lease !== '0' ? { lease } : {}),
      });
    } catch (error) {
      if (lease !== undefined && /requested lease not found/i.test(String((error as Error).message)))
        throw new LeaseNotFoundError(lease, { cause: error });
      throw error;
    }
  }

  async delete(key: string): Promise<number> {
    const response = await this.#call<{ deleted?: string }>('/v3/kv/deleterange', { key: base64(key) });
    return Number(response.deleted ?? 0);
  }

  async grantLease(ttlSeconds: number): Promise<string> {
    const response = await this.#call<{ ID?: string }>('/v3/lease/grant', { TTL: ttlSeconds });
    if (!response.ID) throw new EtcdUnavailableError('etcd granted a lease without an id');
    return response.ID;
  }

  async keepAliveLease(id: string, call?: CallOptions): Promise<number> {
    // A bidirectional stream on the gateway: one request in the body, one answer, then the end.
    const response = await this.#call<{ result?: { TTL?: string } }>('/v3/lease/keepalive', { ID: id }, call);
    return Number(response.result?.TTL ?? 0);
  }

  async revokeLease(id: string, call?: CallOptions): Promise<void> {
    try {
      await this.#call('/v3/lease/revoke', { ID: id }, call);
    } catch (error) {
      if (!/requested lease not found/i.test(String((error as Error).message))) throw error;
    }
  }

  async leaseStatus(id: string): Promise<LeaseStatus | undefined> {
    const response = await this.#call<{ TTL?: string; grantedTTL?: string; keys?: string[] }>(
      '/v3/lease/timetolive',
      { ID: id, keys: true },
    );
    const ttlSeconds = Number(response.TTL ?? 0);
    if (ttlSeconds < 0) return undefined;
    return {
      ttlSeconds,
      grantedTtlSeconds: Number(response.grantedTTL ?? 0),
      keys: (response.keys ?? []).map((key) => fromBase64(key).toString()),
    };
  }

  async watch(request: WatchRequest, listener: WatchListener): Promise<WatchHandle> {
    try {
      return await this.#watchOnce(request, listener);
    } catch (error) {
      // An expired token surfaces as a cancelled watch: authenticate again, once.
      if (!isTokenExpired(String((error as Error).message))) throw error;
      this.#token = undefined;
      return this.#watchOnce(request, listener);
    }
  }

  close(): void {
    this.#closed = true;
    this.#agent.destroy();
    this.#streamAgent.destroy();
  }

  async #watchOnce(request: WatchRequest, listener: WatchListener): Promise<WatchHandle> {
    const endpoint = await this.#usableEndpoint();
    const body = {
      create_request: {
        key: base64(request.key),
        range_end: base64(request.end),
        start_revision: String(request.startRevision),
      },
    };
    const response = await this.#send(endpoint, '/v3/watch', body, {
      timeoutMs: this.#callTimeoutMs,
      stream: true,
      signal: request.signal,
    }).catch((error: unknown) => {
      if (!(error instanceof GatewayRefusal) || error.noLeader) this.#moveOn(endpoint);
      throw this.#failure(endpoint, error);
    });
    return new Promise<WatchHandle>((resolve, reject) => {
      let created = false;
      let over = false;
      let buffered = '';
      let stopListening = () => {};
      const stop = () => {
        if (over) return;
        over = true;
        stopListening();
        response.removeAllListeners();
        response.on('error', () => {});
        response.destroy();
      };
      const fail = (error: Error) => {
        if (over) return;
        stop();
        if (created) listener.onFailure(error);
        else reject(error);
      };
      // Created: the stream may stay silent for as long as nothing changes.
      response.socket?.setTimeout(0);
      const onMessage = (line: string) => {
        let message: {
          result?: {
            header?: { revision?: string };
            created?: boolean;
            canceled?: boolean;
            cancel_reason?: string;
            compact_revision?: string;
            events?: { type?: string; kv: GatewayKeyValue }[];
          };
          error?: GatewayError;
        };
        try {
          message = JSON.parse(line);
        } catch {
          fail(new WatchInterruptedError(`etcd at ${endpoint.origin} sent an unreadable watch message`));
          return;
        }
        const result = message.result;
        if (!result) {
          fail(
            new WatchInterruptedError(
              `etcd at ${endpoint.origin}: ${message.error?.message ?? 'watch failed'}`,
            ),
          );
          return;
        }
        if (result.compact_revision && result.compact_revision !== '0') {
          fail(new WatchCompactedError());
          return;
        }
        if (result.canceled) {
          const reason = result.cancel_reason ?? '';
          fail(
            isTokenExpired(reason)
              ? new EtcdUnavailableError(`etcd at ${endpoint.origin}: ${reason}`)
              : new WatchInterruptedError(`etcd at ${endpoint.origin} cancelled the watch: ${reason}`),
          );
          return;
        }
        if (result.created && !created) {
          created = true;
          resolve({ cancel: stop });
          return;
        }
        listener.onResponse({
          revision: Number(result.header?.revision ?? 0),
          events: (result.events ?? []).map((event) => ({
            type: event.type === 'DELETE' ? 'delete' : 'put',
            kv: stored(event.kv),
          })),
        });
      };
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffered += chunk;
        let newline = buffered.indexOf('\n');
        while (newline >= 0 && !over) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (line !== '') onMessage(line);
          newline = buffered.indexOf('\n');
        }
      });
      const interrupted = (why: string) => () => {
        this.#moveOn(endpoint);
        fail(new WatchInterruptedError(`watch stream from etcd at ${endpoint.origin} ${why}`));
      };
      response.on('error', (error) => interrupted(`failed: ${error.message}`)());
      response.on('end', interrupted('ended'));
      response.on('close', interrupted('closed'));
      if (request.signal) stopListening = whenAborted(request.signal, stop);
    });
  }

  /** One unary call, through the current endpoint and, after a network failure, one more. */
  async #call<T>(path: string, body: object, call?: CallOptions): Promise<T> {
    const attempts = Math.min(2, this.#endpoints.length);
    let reauthenticated = false;
    for (let attempt = 1; ; attempt += 1) {
      const endpoint = await this.#usableEndpoint();
      try {
        const response = await this.#send(endpoint, path, body, {
          timeoutMs: call?.timeoutMs ?? this.#callTimeoutMs,
        });
        const answer = (await readJson(response)) as T;
        this.#suspect = false;
        return answer;
      } catch (error) {
        if (error instanceof GatewayRefusal && !error.noLeader) {
          if (!reauthenticated && error.status === 401 && isTokenExpired(error.message)) {
            reauthenticated = true;
            this.#token = undefined;
            attempt -= 1;
            continue;
          }
          throw this.#failure(endpoint, error);
        }
        this.#moveOn(endpoint);
        if (attempt >= attempts) throw this.#failure(endpoint, error);
      }
    }
  }

  /** One request; resolves with a 2xx response, rejects with `GatewayRefusal` or a network error. */
  async #send(
    endpoint: URL,
    path: string,
    body: object,
    options: {
      timeoutMs: number;
      stream?: boolean;
      signal?: AbortSignal | undefined;
      /** Without the auth token (probes: a login through a silent member would hold them all up). */
      anonymous?: boolean;
    },
  ): Promise<IncomingMessage> {
    if (this.#closed) throw new Error('etcd client closed');
    const token =
      path === '/v3/auth/authenticate' || options.anonymous ? undefined : await this.#authenticate(endpoint);
    const payload = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = this.#request({
        protocol: endpoint.protocol,
        hostname: endpoint.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: endpoint.port || (endpoint.protocol === 'https:' ? 443 : 80),
        path,
        method: 'POST',
        agent: options.stream ? this.#streamAgent : this.#agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          ...REQUIRE_LEADER,
          ...(token ? { authorization: token } : {}),
        },
        ...(options.signal ? { signal: options.signal } : {}),
      });
      // The deadline covers the answer's headers (and, for calls, its body: see readJson).
      const timer = setTimeout(
        () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)),
        options.timeoutMs,
      );
      req.on('response', (response) => {
        if (options.stream) clearTimeout(timer);
        else response.once('end', () => clearTimeout(timer)).once('close', () => clearTimeout(timer));
        if ((response.statusCode ?? 0) >= 200 && (response.statusCode ?? 0) < 300) {
          resolve(response);
          return;
        }
        readJson(response)
          .then((error) => reject(new GatewayRefusal(response.statusCode ?? 0, error as GatewayError)))
          .catch(reject);
      });
      req.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      req.end(payload);
    });
  }

  #authenticate(endpoint: URL): Promise<string> | undefined {
    const { username, password } = this.#config;
    if (username === undefined || password === undefined) return undefined;
    this.#token ??= this.#send(
      endpoint,
      '/v3/auth/authenticate',
      { name: username, password },
      {
        timeoutMs: this.#callTimeoutMs,
      },
    )
      .then(readJson)
      .then((response) => String((response as { token?: string }).token ?? ''));
    const token = this.#token;
    // A failed login is tried again on the next call, not remembered.
    token.catch(() => {
      if (this.#token === token) this.#token = undefined;
    });
    return token;
  }

  #endpoint(): URL {
    return this.#endpoints[this.#current % this.#endpoints.length] as URL;
  }

  /**
   * The current endpoint, or, after a failed call, the first member found that can serve; calls
   * made meanwhile (keep-alives, writes, the watch) share one search.
   */
  #usableEndpoint(): Promise<URL> {
    if (!this.#suspect) return Promise.resolve(this.#endpoint());
    this.#search ??= this.#findMember().finally(() => {
      this.#search = undefined;
    });
    return this.#search;
  }

  async #findMember(): Promise<URL> {
    let found: URL;
    try {
      found = await firstAnsweringMember({
        members: this.#endpoints,
        probe: (endpoint, signal) => this.#probe(endpoint, signal),
        deadlineMs: this.#memberSearchMs,
        retryMs: MEMBER_RETRY_MS,
      });
    } catch (error) {
      throw new EtcdUnavailableError((error as Error).message, { cause: error });
    }
    this.#current = this.#endpoints.indexOf(found);
    return found;
  }

  /**
   * Resolves when the member can serve now: a linearizable read (one key, count only) needs the
   * leader to confirm the member is current, so a member that has a leader again but still
   * catches up after a partition — and would hold a grant for seconds — does not win over one
   * on the majority side. Any refusal other than "no leader" (this probe goes without the auth
   * token, so "user name is empty") still counts: etcd checks permissions after that read.
   */
  async #probe(endpoint: URL, signal: AbortSignal): Promise<void> {
    try {
      const response = await this.#send(
        endpoint,
        '/v3/kv/range',
        { key: base64('\u0000'), count_only: true },
        {
          timeoutMs: this.#memberSearchMs,
          signal,
          anonymous: true,
        },
      );
      response.resume();
    } catch (error) {
      if (error instanceof GatewayRefusal && !error.noLeader) return;
      throw this.#failure(endpoint, error);
    }
  }

  /** After a failure on `endpoint`, the next call looks for a member that can serve. */
  #moveOn(endpoint: URL): void {
    this.#suspect = true;
    if (this.#endpoint() === endpoint) this.#current = (this.#current + 1) % this.#endpoints.length;
  }

  #failure(endpoint: URL, error: unknown): Error {
    if (error instanceof WatchCompactedError || error instanceof WatchInterruptedError) return error;
    const detail = error instanceof Error ? error.message : String(error);
    return new EtcdUnavailableError(`etcd at ${endpoint.origin}: ${detail}`, { cause: error });
  }
}

/** The whole body of a response, as JSON (the gateway answers `{}` for empty messages). */
async function readJson(response: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString().trim();
  if (text === '') return {};
  // A streaming call answered once: the message is the first line.
  return JSON.parse(text.split('\n')[0] as string);
}
