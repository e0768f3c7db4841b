import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createEtcdClient } from '@wharf/core';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll } from 'vitest';
import { freePort } from './ports.js';

// Servers still running when the process exits (a timed-out test, an interrupted benchmark) are
// killed rather than left behind.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface EtcdServerOptions {
  /** Extra etcd flags, e.g. TLS settings. */
  readonly args?: readonly string[];
  /** Scheme of the client URL (https when the args set up TLS). */
  readonly scheme?: 'http' | 'https';
  /** Client used to wait for readiness; defaults to a plain client on the endpoint. */
  readonly probe?: (endpoint: string) => Etcd3;
}

/**
 * A real etcd server (Debian's etcd-server) on free loopback ports with its own data directory.
 * `stop()` and `start()` keep the data, as an operator's restart would; `close()` removes it.
 */
export class EtcdServer {
  readonly name = `etcd-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  readonly dataDir = mkdtempSync(join(tmpdir(), 'wharf-etcd-'));
  clientPort = 0;
  peerPort = 0;
  #process: ChildProcess | undefined;
  readonly #options: EtcdServerOptions;

  constructor(options: EtcdServerOptions = {}) {
    this.#options = options;
  }

  static async start(options: EtcdServerOptions = {}): Promise<EtcdServer> {
    const server = new EtcdServer(options);
    server.clientPort = await freePort();
    server.peerPort = await freePort();
    await server.start();
    return server;
  }

  get endpoint(): string {
    return `${this.#options.scheme ?? 'http'}://127.0.0.1:${this.clientPort}`;
  }

  get pid(): number | undefined {
    return this.#process?.pid;
  }

  async start(): Promise<void> {
    if (this.#process) return;
    const peer = `http://127.0.0.1:${this.peerPort}`;
    const args = [
      `--name=${this.name}`,
      `--data-dir=${this.dataDir}`,
      `--listen-client-urls=${this.endpoint}`,
      `--advertise-client-urls=${this.endpoint}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=${this.name}=${peer}`,
      '--log-level=error',
      '--logger=zap',
      ...(this.#options.args ?? []),
    ];
    const log = createWriteStream(join(this.dataDir, 'etcd.log'), { flags: 'a' });
    const child = spawn('etcd', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    this.#process = child;
    running.add(child);
    child.once('exit', () => {
      running.delete(child);
      if (this.#process === child) this.#process = undefined;
    });
    await this.#waitReady();
  }

  async #waitReady(): Promise<void> {
    const client =
      this.#options.probe?.(this.endpoint) ?? new Etcd3({ hosts: this.endpoint, dialTimeout: 500 });
    try {
      const deadline = Date.now() + 20_000;
      for (;;) {
        try {
          await client
            .get('/health-probe')
            .options({ deadline: Date.now() + 1_000 })
            .string();
          return;
        } catch (error) {
          if (!this.#process) throw new Error(`etcd exited at start; see ${join(this.dataDir, 'etcd.log')}`);
          if (Date.now() > deadline) throw error;
          await sleep(100);
        }
      }
    } finally {
      client.close();
    }
  }

  /** Stops the server (SIGTERM) and waits for it to exit; data is kept. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.#process;
    if (!child) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }

  /** Stops the server for good and removes its data. Idempotent. */
  async close(): Promise<void> {
    await this.stop('SIGKILL');
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * A real etcd and a client on it for the enclosing `describe`: started before its tests,
 * removed after them. `use` receives both once they are up (assign them to the block's lets).
 */
export function useEtcd(use: (started: { etcd: EtcdServer; client: Etcd3 }) => void): void {
  let started: { etcd: EtcdServer; client: Etcd3 } | undefined;
  beforeAll(async () => {
    const etcd = await EtcdServer.start();
    started = { etcd, client: createEtcdClient({ endpoints: [etcd.endpoint] }) };
    use(started);
  });
  afterAll(async () => {
    started?.client.close();
    await started?.etcd.close();
  });
}
