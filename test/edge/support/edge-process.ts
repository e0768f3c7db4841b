import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../support/ports.js';

const MAIN = fileURLToPath(new URL('../../../packages/edge/dist/main.js', import.meta.url));

// Children still running when the test process exits (a timed-out test skips its `finally`)
// are killed rather than left behind.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface EdgeProcessOptions {
  readonly etcd: string;
  readonly prefix: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Wait for /readyz (default true). */
  readonly waitReady?: boolean;
  /** The address both listeners bind (default 127.0.0.1; edges side by side take 127.0.0.2, …). */
  readonly host?: string;
  /** The plain listener's port (default: a free one). */
  readonly port?: number;
  /** The TLS listener: a port, `true` for a free one, or off (the default). */
  readonly tls?: number | boolean;
}

/**
 * wharf-edge as a real child process from dist/main.js, on free loopback ports, with its log
 * kept for failure messages. `stop()` sends SIGTERM and resolves with the exit code.
 */
export class EdgeProcess {
  readonly host: string;
  readonly port: number;
  readonly adminPort: number;
  /** The TLS listener's port, or undefined when it is off. */
  readonly tlsPort: number | undefined;
  readonly child: ChildProcess;
  log = '';
  #exit: Promise<number | null>;

  private constructor(
    port: number,
    adminPort: number,
    tlsPort: number | undefined,
    options: EdgeProcessOptions,
  ) {
    this.host = options.host ?? '127.0.0.1';
    this.port = port;
    this.adminPort = adminPort;
    this.tlsPort = tlsPort;
    this.child = spawn(process.execPath, [MAIN], {
      env: {
        PATH: process.env.PATH ?? '',
        WHARF_ETCD: options.etcd,
        WHARF_PREFIX: options.prefix,
        WHARF_LISTEN: `${this.host}:${port}`,
        WHARF_ADMIN_LISTEN: `127.0.0.1:${adminPort}`,
        WHARF_TLS_LISTEN: tlsPort === undefined ? 'off' : `${this.host}:${tlsPort}`,
        LOG_LEVEL: 'info',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const append = (chunk: Buffer) => {
      this.log += chunk.toString();
      if (this.log.length > 200_000) this.log = this.log.slice(-100_000);
    };
    this.child.stdout?.on('data', append);
    this.child.stderr?.on('data', append);
    running.add(this.child);
    this.#exit = new Promise((resolve) =>
      this.child.once('exit', (code) => {
        running.delete(this.child);
        resolve(code);
      }),
    );
  }

  static async start(options: EdgeProcessOptions): Promise<EdgeProcess> {
    const tlsPort = options.tls === true ? await freePort() : options.tls === false ? undefined : options.tls;
    const edge = new EdgeProcess(options.port ?? (await freePort()), await freePort(), tlsPort, options);
    if (options.waitReady ?? true) await edge.waitReady();
    return edge;
  }

  get url(): string {
    return `http://${this.host}:${this.port}`;
  }

  get adminUrl(): string {
    return `http://127.0.0.1:${this.adminPort}`;
  }

  get exited(): Promise<number | null> {
    return this.#exit;
  }

  async waitReady(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.#exit.then(() => {
      exited = true;
    });
    for (;;) {
      if (exited) throw new Error(`wharf-edge exited before it was ready:\n${this.log}`);
      try {
        const response = await fetch(`${this.adminUrl}/readyz`);
        if (response.status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`wharf-edge not ready in ${timeoutMs} ms:\n${this.log}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** SIGTERM, then the exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return this.#exit;
  }

  /** SIGKILL (cleanup after failures); idempotent. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.#exit;
  }
}
