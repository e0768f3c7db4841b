import type { ChildProcess } from 'node:child_process';
import { ChildProgram, PROGRAM_MAIN } from '../../support/child-program.js';
import { type DataPlane, dataPlaneEnv } from '../../support/data-planes.js';
import { freePort } from '../../support/ports.js';

export interface EdgeProcessOptions {
  readonly etcd: string;
  readonly prefix: string;
  readonly env?: Readonly<Record<string, string>>;
  /** `WHARF_DATAPLANE` (default: the edge's own default, builtin). */
  readonly dataplane?: DataPlane;
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
  log = '';
  readonly #program: ChildProgram;

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
    this.#program = new ChildProgram(PROGRAM_MAIN.edge, {
      env: {
        PATH: process.env.PATH ?? '',
        WHARF_ETCD: options.etcd,
        WHARF_PREFIX: options.prefix,
        WHARF_LISTEN: `${this.host}:${port}`,
        WHARF_ADMIN_LISTEN: `127.0.0.1:${adminPort}`,
        WHARF_TLS_LISTEN: tlsPort === undefined ? 'off' : `${this.host}:${tlsPort}`,
        LOG_LEVEL: 'info',
        ...(options.dataplane ? dataPlaneEnv(options.dataplane) : {}),
        ...options.env,
      },
      onLine: (line) => {
        this.log += `${line}\n`;
        if (this.log.length > 200_000) this.log = this.log.slice(-100_000);
      },
    });
  }

  get child(): ChildProcess {
    return this.#program.child;
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
    return this.#program.exited.then((exit) => exit.code);
  }

  async waitReady(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.#program.exited.then(() => {
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
    return (await this.#program.stop('SIGTERM')).code;
  }

  /** SIGKILL (cleanup after failures); idempotent. */
  async kill(): Promise<void> {
    await this.#program.kill();
  }
}
