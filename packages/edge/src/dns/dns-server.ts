import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { once } from 'node:events';
import { createServer as createTcpServer, isIPv6, type Server, type Socket } from 'node:net';
import { aborted, formatHostPort, type Logger, type RegistryUpdate, silentLogger } from '@wharf/core';
import { Counter, type Registry } from 'prom-client';
import type { DnsConfig } from './dns-config.js';
import { DnsIndex } from './dns-index.js';
import { DnsResponder } from './dns-responder.js';

export interface DnsServerOptions {
  readonly listen: { readonly host: string; readonly port: number };
  readonly config: Pick<DnsConfig, 'domain' | 'ttlSeconds'>;
  /** The edge's zone (`WHARF_ZONE`): same-zone SRV records get the better priority. */
  readonly zone?: string | undefined;
  readonly logger?: Logger;
}

/** RFC 7766 asks servers to close idle TCP connections after a few seconds. */
const TCP_IDLE_MS = 10_000;
const MAX_TCP_CONNECTIONS = 256;
/** A client that sends queries but does not read the answers is cut off past this much. */
const MAX_TCP_BACKLOG_BYTES = 1 << 20;

/**
 * The edge's DNS listener: UDP and TCP on one address, answering from a `DnsIndex` that the
 * edge's registry watch feeds (`apply`) — no second watch. UDP answers that do not fit are sent
 * truncated and the client asks again over TCP. Nothing a client sends can stop it: undecodable
 * messages are dropped and counted, and a TCP connection that sends one is closed.
 */
export class DnsServer {
  readonly index = new DnsIndex();
  readonly responder: DnsResponder;
  readonly #listen: DnsServerOptions['listen'];
  readonly #config: DnsServerOptions['config'];
  readonly #logger: Logger;
  #udp: UdpSocket | undefined;
  #tcp: Server | undefined;
  readonly #connections = new Set<Socket>();

  constructor(options: DnsServerOptions) {
    this.#listen = options.listen;
    this.#config = options.config;
    this.#logger = (options.logger ?? silentLogger).child({ component: 'dns' });
    this.responder = new DnsResponder({ config: options.config, index: this.index, zone: options.zone });
  }

  /** One registry update from the edge's watch. */
  apply(update: Pick<RegistryUpdate, 'revision' | 'changes'>): void {
    this.index.apply(update);
  }

  /** Where it listens, once `run` has bound (the UDP port: the same as TCP's). */
  get address(): { host: string; port: number } | undefined {
    const address = this.#udp?.address();
    return address ? { host: address.address, port: address.port } : undefined;
  }

  /** Binds UDP and TCP, serves until `signal` aborts, then closes both. Rejects when it cannot bind. */
  async run(signal: AbortSignal): Promise<void> {
    const { host, port } = this.#listen;
    const udp = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
    this.#udp = udp;
    const tcp = createTcpServer((socket) => this.#serveTcp(socket));
    tcp.maxConnections = MAX_TCP_CONNECTIONS;
    this.#tcp = tcp;
    try {
      udp.bind(port, host);
      await once(udp, 'listening'); // rejects with the 'error' that comes first instead
      // Port 0 (tests): TCP takes the port UDP was given.
      const boundPort = udp.address().port;
      tcp.listen(boundPort, host);
      await once(tcp, 'listening');
    } catch (error) {
      udp.close();
      tcp.close();
      throw error;
    }
    udp.on('message', (message, peer) => {
      const answer = this.#answer(message, 'udp');
      if (!answer) return;
      try {
        udp.send(answer, peer.port, peer.address, () => {});
      } catch {
        // A peer Node refuses to send to (source port 0, spoofed) gets no answer; never a crash.
      }
    });
    // A send to an unreachable peer, a full buffer: logged, never fatal.
    udp.on('error', (error) => this.#logger.warn({ err: error }, 'dns udp socket error'));
    tcp.on('error', (error) => this.#logger.warn({ err: error }, 'dns tcp listener error'));
    this.#logger.info(
      {
        listen: formatHostPort(host, udp.address().port),
        domain: `${this.#config.domain}.`,
        ttl: this.#config.ttlSeconds,
      },
      'dns listening',
    );
    await aborted(signal);
    await this.close();
  }

  /** Stops both listeners and drops open TCP connections. Idempotent. */
  async close(): Promise<void> {
    const udp = this.#udp;
    const tcp = this.#tcp;
    this.#udp = undefined;
    this.#tcp = undefined;
    for (const socket of this.#connections) socket.destroy();
    udp?.close();
    if (tcp) await new Promise<void>((resolve) => tcp.close(() => resolve()));
  }

  #answer(message: Buffer, transport: 'udp' | 'tcp'): Buffer | undefined {
    try {
      return this.responder.answer(message, transport);
    } catch (error) {
      // A bug here must cost one answer, not the edge.
      this.#logger.error({ err: error, transport }, 'dns answer failed');
      return undefined;
    }
  }

  /** Length-prefixed messages (RFC 1035 §4.2.2), several per connection, answered in order. */
  #serveTcp(socket: Socket): void {
    this.#connections.add(socket);
    socket.setNoDelay(true);
    socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
    socket.on('close', () => this.#connections.delete(socket));
    socket.on('error', () => {});
    let buffered: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2) {
        const length = buffered.readUInt16BE(0);
        if (buffered.length < 2 + length) return;
        const message = buffered.subarray(2, 2 + length);
        buffered = buffered.subarray(2 + length);
        const answer = this.#answer(message, 'tcp');
        if (!answer) {
          socket.destroy();
          return;
        }
        const prefix = Buffer.alloc(2);
        prefix.writeUInt16BE(answer.length);
        socket.write(Buffer.concat([prefix, answer]));
        if (socket.writableLength > MAX_TCP_BACKLOG_BYTES) {
          socket.destroy();
          return;
        }
      }
    });
  }

  /** `wharf_edge_dns_*`, read from the responder's counters at scrape time. */
  registerMetrics(registry: Registry): void {
    const counters = () => this.responder.counters;
    new Counter({
      name: 'wharf_edge_dns_answers_total',
      help: 'DNS answers sent, by transport (udp, tcp) and response code.',
      labelNames: ['transport', 'rcode'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [key, count] of counters().answers) {
          const [transport = '', rcode = ''] = key.split(' ');
          this.inc({ transport, rcode }, count);
        }
      },
    });
    new Counter({
      name: 'wharf_edge_dns_dropped_total',
      help: 'DNS messages dropped unanswered, by reason: malformed, response, unsupported.',
      labelNames: ['reason'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [reason, count] of counters().dropped) this.inc({ reason }, count);
      },
    });
    new Counter({
      name: 'wharf_edge_dns_truncated_total',
      help: 'UDP answers sent truncated (TC) because they did not fit; the client retries over TCP.',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(counters().truncated);
      },
    });
  }
}
