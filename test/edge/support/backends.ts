import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpRoute, KeyLayout } from '@wharf/core';
import type { Etcd3 } from 'etcd3';
import { WebSocketServer } from 'ws';
import { endpointValue } from '../../support/records.js';

export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
}

/**
 * A real HTTP (and WebSocket) backend on a loopback port 0 that answers with its name, records
 * what it saw, and can be told to answer slowly.
 */
export class TestBackend {
  readonly name: string;
  readonly server: Server;
  readonly seen: SeenRequest[] = [];
  readonly wss: WebSocketServer;
  handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;

  private constructor(name: string) {
    this.name = name;
    this.server = createServer((req, res) => {
      this.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      if (this.handler) {
        this.handler(req, res);
        return;
      }
      const slow = /[?&]sleep=(\d+)/.exec(req.url ?? '');
      const answer = () => {
        res.setHeader('x-backend', this.name);
        res.end(`${this.name} ${req.url}`);
      };
      req.resume();
      req.on('end', () => (slow ? setTimeout(answer, Number(slow[1])) : answer()));
    });
    this.server.on('upgrade', (req: IncomingMessage) => {
      this.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    });
    this.wss = new WebSocketServer({ server: this.server });
    this.wss.on('connection', (socket) => {
      socket.on('message', (data) => socket.send(`${this.name}: ${data.toString()}`));
    });
  }

  static async start(name: string): Promise<TestBackend> {
    const backend = new TestBackend(name);
    await new Promise<void>((resolve) => backend.server.listen(0, '127.0.0.1', resolve));
    return backend;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

export interface EndpointOptions {
  readonly host?: string;
  readonly pathPrefix?: string;
  readonly weight?: number;
  readonly state?: 'serving' | 'draining';
  readonly address?: string;
  readonly routes?: readonly (Pick<HttpRoute, 'tls' | 'redirect' | 'hsts'> & {
    host: string;
    pathPrefix: string;
  })[];
  readonly tags?: readonly string[];
  readonly protocol?: 'http' | 'tcp' | 'udp';
}

export function endpointRecord(service: string, id: string, port: number, options: EndpointOptions = {}) {
  return endpointValue({
    service,
    id,
    address: options.address ?? '127.0.0.1',
    port,
    protocol: options.protocol ?? 'http',
    node: 'n1',
    bridge: 'test-bridge',
    tags: [...(options.tags ?? [])],
    weight: options.weight ?? 1,
    routes: [
      ...(options.routes ??
        (options.host ? [{ host: options.host, pathPrefix: options.pathPrefix ?? '/' }] : [])),
    ],
    state: options.state ?? 'serving',
    registeredAt: new Date().toISOString(),
  });
}

/** Writes an endpoint record; returns its key. */
export async function putEndpoint(
  client: Etcd3,
  layout: KeyLayout,
  service: string,
  id: string,
  port: number,
  options: EndpointOptions = {},
): Promise<string> {
  const key = layout.endpointKey(service, id);
  await client.put(key).value(endpointRecord(service, id, port, options));
  return key;
}

/** A GET through the edge with a given Host; resolves with status, body and headers. */
export async function get(
  edgeUrl: string,
  host: string,
  path = '/',
  init: { method?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: string; headers: Headers }> {
  const { request } = await import('node:http');
  const url = new URL(path, edgeUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path,
        method: init.method ?? 'GET',
        headers: { host, ...init.headers },
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
          }
          resolve({ status: res.statusCode ?? 0, body, headers });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}
