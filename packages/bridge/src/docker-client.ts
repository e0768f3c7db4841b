import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { createRequire } from 'node:module';
import { WharfError } from '@wharf/core';

/** Where the Docker Engine API is: a unix socket, or TCP with optional TLS (DOCKER_HOST rules). */
export interface DockerEndpoint {
  readonly socketPath?: string | undefined;
  readonly host?: string | undefined;
  readonly port?: number | undefined;
  /** PEM contents for `DOCKER_TLS_VERIFY` connections. */
  readonly tls?: { readonly ca: Buffer; readonly cert: Buffer; readonly key: Buffer } | undefined;
}

/** The Docker Engine answered with an error status, or could not be reached. */
export class DockerApiError extends WharfError {
  readonly statusCode: number | undefined;

  constructor(message: string, statusCode?: number, options?: { cause?: unknown }) {
    super('WHARF_DOCKER_UNAVAILABLE', message, options);
    this.statusCode = statusCode;
  }
}

/** The parts of `GET /containers/<id>/json` the bridge reads. */
export interface ContainerInspect {
  readonly Id: string;
  readonly Name: string;
  readonly Image: string;
  readonly Config?: {
    readonly Image?: string;
    readonly Labels?: Record<string, string> | null;
    readonly Env?: string[] | null;
    readonly ExposedPorts?: Record<string, unknown> | null;
  };
  readonly State?: {
    readonly Running?: boolean;
    readonly Paused?: boolean;
    readonly Health?: { readonly Status?: string };
  };
  readonly HostConfig?: { readonly NetworkMode?: string };
  readonly NetworkSettings?: {
    readonly Ports?: Record<string, { HostIp?: string; HostPort?: string }[] | null> | null;
    readonly Networks?: Record<string, { IPAddress?: string } | null> | null;
  };
}

/** `GET /exec/<id>/json`, the parts the bridge reads. */
export interface ExecInspect {
  readonly Running: boolean;
  readonly ExitCode: number | null;
}

const API_TIMEOUT_MS = 10_000;

/** node:https, loaded only for `DOCKER_TLS_VERIFY`: it costs an idle process about 3 MB. */
const loadHttps = () => createRequire(import.meta.url)('node:https') as typeof import('node:https');

/**
 * The Docker Engine API calls the bridge makes, over node:http: four reads, and the three calls
 * of `docker exec` that update commands (`wharf.on-change`) need. A full client library would
 * cost the bridge several MB of resident memory for features it never uses.
 */
export class DockerClient {
  readonly #endpoint: DockerEndpoint;

  constructor(endpoint: DockerEndpoint) {
    this.#endpoint = endpoint;
  }

  info(): Promise<{ Name?: string }> {
    return this.#json('/info');
  }

  /** Running containers. */
  listContainers(): Promise<{ Id: string }[]> {
    return this.#json('/containers/json');
  }

  inspect(idOrName: string): Promise<ContainerInspect> {
    return this.#json(`/containers/${encodeURIComponent(idOrName)}/json`);
  }

  /** The event stream (newline-separated JSON), filtered as `docker events --filter` does. */
  async events(filters: Record<string, string[]>): Promise<IncomingMessage> {
    const response = await this.#request(`/events?filters=${encodeURIComponent(JSON.stringify(filters))}`, 0);
    if (response.statusCode !== 200) throw await this.#error(response);
    return response;
  }

  /** Creates an exec of `cmd` in a running container (`POST /containers/<id>/exec`); returns its id. */
  async createExec(
    containerId: string,
    options: { cmd: readonly string[]; env: readonly string[] },
  ): Promise<string> {
    const body = { Cmd: options.cmd, Env: options.env, AttachStdout: true, AttachStderr: true, Tty: false };
    const created = await this.#json<{ Id: string }>(`/containers/${encodeURIComponent(containerId)}/exec`, {
      method: 'POST',
      body,
      status: 201,
    });
    return created.Id;
  }

  /**
   * Starts an exec and resolves with its output (Docker's multiplexed stream) once the process
   * ends. Aborting `signal` stops waiting: the Engine API has no call that stops the process.
   */
  async startExec(execId: string, signal: AbortSignal): Promise<Buffer> {
    const response = await this.#request(`/exec/${encodeURIComponent(execId)}/start`, 0, {
      method: 'POST',
      body: { Detach: false, Tty: false },
      signal,
    });
    if (response.statusCode !== 200) throw await this.#error(response);
    const chunks: Buffer[] = [];
    for await (const chunk of response) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  inspectExec(execId: string): Promise<ExecInspect> {
    return this.#json(`/exec/${encodeURIComponent(execId)}/json`);
  }

  async #json<T>(path: string, init: RequestInit & { status?: number } = {}): Promise<T> {
    const response = await this.#request(path, API_TIMEOUT_MS, init);
    if (response.statusCode !== (init.status ?? 200)) throw await this.#error(response);
    const chunks: Buffer[] = [];
    for await (const chunk of response) chunks.push(chunk as Buffer);
    return JSON.parse(Buffer.concat(chunks).toString()) as T;
  }

  async #error(response: IncomingMessage): Promise<DockerApiError> {
    let body = '';
    for await (const chunk of response) body += (chunk as Buffer).toString();
    let message = body.trim();
    try {
      message = (JSON.parse(body) as { message?: string }).message ?? message;
    } catch {}
    return new DockerApiError(
      `docker API ${response.statusCode}: ${message.slice(0, 200)}`,
      response.statusCode,
    );
  }

  /** `timeoutMs` 0: a stream that may stay silent for as long as Docker has nothing to say. */
  #request(path: string, timeoutMs: number, init: RequestInit = {}): Promise<IncomingMessage> {
    const { socketPath, host, port, tls } = this.#endpoint;
    const body = init.body === undefined ? undefined : JSON.stringify(init.body);
    const options: RequestOptions = {
      method: init.method ?? 'GET',
      path,
      headers: { host: 'docker', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(socketPath ? { socketPath } : { host, port }),
      // Node ≥ 19's default agent times sockets out after 5 s idle, which cut the event stream
      // of every quiet host; a stream gets a socket of its own, with no idle timeout at all.
      ...(timeoutMs > 0 ? { timeout: timeoutMs } : { agent: false }),
      ...(init.signal ? { signal: init.signal } : {}),
    };
    return new Promise((resolve, reject) => {
      const req = tls ? loadHttps().request({ ...options, ...tls }) : httpRequest(options);
      req.on('response', resolve);
      if (timeoutMs > 0) req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs}ms`)));
      else req.on('socket', (socket) => socket.setTimeout(0));
      req.on('error', (cause) =>
        reject(new DockerApiError(`docker API unreachable: ${cause.message}`, undefined, { cause })),
      );
      req.end(body);
    });
  }
}

interface RequestInit {
  readonly method?: 'GET' | 'POST';
  /** Sent as JSON. */
  readonly body?: unknown;
  readonly signal?: AbortSignal;
}
