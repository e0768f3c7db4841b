import type { DockerClient } from '../docker-client.js';

/** How one run of an update command ended. */
export type ExecOutcome =
  | { readonly kind: 'exited'; readonly exitCode: number; readonly output: string }
  /** Still running when its time was up; the bridge stopped waiting (Docker cannot stop it). */
  | { readonly kind: 'timeout'; readonly output: string }
  /** Docker refused or could not be reached (container gone, command not found, socket down). */
  | { readonly kind: 'failed'; readonly error: Error };

export interface ExecRequest {
  readonly containerId: string;
  readonly command: readonly string[];
  /** `NAME=value` entries added to the container's environment for this run. */
  readonly env: readonly string[];
  readonly timeoutMs: number;
  /** Aborts when the bridge stops: waiting ends at once. */
  readonly signal: AbortSignal;
}

/** Output kept for the log: the end is where a failing command says why. */
const OUTPUT_TAIL_BYTES = 2_048;

/** Runs commands inside containers through the Docker Engine API, as `docker exec` does. */
export class ExecRunner {
  readonly #docker: Pick<DockerClient, 'createExec' | 'startExec' | 'inspectExec'>;

  constructor(docker: Pick<DockerClient, 'createExec' | 'startExec' | 'inspectExec'>) {
    this.#docker = docker;
  }

  async run(request: ExecRequest): Promise<ExecOutcome> {
    const timeout = AbortSignal.timeout(request.timeoutMs);
    const signal = AbortSignal.any([request.signal, timeout]);
    let execId: string;
    try {
      execId = await this.#docker.createExec(request.containerId, { cmd: request.command, env: request.env });
    } catch (error) {
      return { kind: 'failed', error: error as Error };
    }
    let output: Buffer;
    try {
      output = await this.#docker.startExec(execId, signal);
    } catch (error) {
      if (timeout.aborted && !request.signal.aborted) return { kind: 'timeout', output: '' };
      return { kind: 'failed', error: error as Error };
    }
    try {
      const inspected = await this.#docker.inspectExec(execId);
      const text = demultiplex(output);
      if (inspected.Running || inspected.ExitCode === null) return { kind: 'timeout', output: text };
      return { kind: 'exited', exitCode: inspected.ExitCode, output: text };
    } catch (error) {
      return { kind: 'failed', error: error as Error };
    }
  }
}

/**
 * The text of Docker's multiplexed stdout/stderr stream (8-byte frame headers: stream, 0, 0, 0,
 * big-endian length), interleaved as it came, cut to its last 2 KiB.
 */
export function demultiplex(stream: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= stream.length) {
    const length = stream.readUInt32BE(offset + 4);
    parts.push(stream.subarray(offset + 8, Math.min(stream.length, offset + 8 + length)));
    offset += 8 + length;
  }
  const text = Buffer.concat(parts);
  return text.subarray(Math.max(0, text.length - OUTPUT_TAIL_BYTES)).toString('utf8');
}
