import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
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
  readonly NetworkSettings?: {
    readonly Ports?: Record<string, { HostIp?: string; HostPort?: string }[] | null> | null;
    readonly Networks?: Record<string, { IPAddress?: string } | null> | null;
  };
}

const API_TIMEOUT_MS = 10_000;

/**
 * The four Docker Engine API calls the bridge makes — all reads — over node:http. A full client
 * library would cost the bridge several MB of resident memory for features it never uses.
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

  async #json<T>(path: string): Promise<T> {
    const response = await this.#request(path, API_TIMEOUT_MS);
    if (response.statusCode !== 200) throw await this.#error(response);
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

  #request(path: string, timeoutMs: number): Promise<IncomingMessage> {
    const { socketPath, host, port, tls } = this.#endpoint;
    const options: RequestOptions = {
      method: 'GET',
      path,
      headers: { host: 'docker' },
      ...(socketPath ? { socketPath } : { host, port }),
      ...(timeoutMs > 0 ? { timeout: timeoutMs } : {}),
    };
    return new Promise((resolve, reject) => {
      const req = tls ? httpsRequest({ ...options, ...tls }) : httpRequest(options);
      req.on('response', resolve);
      req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs}ms`)));
      req.on('error', (cause) =>
        reject(new DockerApiError(`docker API unreachable: ${cause.message}`, undefined, { cause })),
      );
      req.end();
    });
  }
}
