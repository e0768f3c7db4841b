import { connect } from 'node:net';
import { HaproxyRuntimeError } from './haproxy-errors.js';

export interface RuntimeApiOptions {
  /** The unix socket: a worker's `stats socket`, or the master CLI (`-S`). */
  readonly path: string;
  /** Per connection; a stuck HAProxy must not stall the edge. */
  readonly timeoutMs?: number;
}

// HAProxy reads one request line of at most tune.bufsize (16 KiB); leave room for its own use.
const MAX_LINE = 12_000;

/** `\` and `;` are the CLI's separators: escaped, an argument may contain them. */
export function cliArgument(value: string): string {
  return value.replace(/[\\;]/g, (character) => `\\${character}`);
}

/**
 * Commands whose output does not end with exactly one empty line on HAProxy 2.6: `del server`
 * ends with none ("Server deleted.\n"), `del ssl cert` with two when it fails. In a batch they
 * would shift every later output onto the wrong command, so each is sent on its own.
 */
const UNFRAMED = /^(del server|del ssl cert) /;

/**
 * HAProxy's Runtime API over its unix socket, in non-interactive mode: each call sends a
 * batch of commands on one line (`a; b; c`), half-closes, and reads until HAProxy closes.
 * Every other command's output ends with an empty line and no command prints an empty line,
 * so the reply splits back into one output per command. Batches longer than a line may be
 * are sent over several connections, in order.
 */
export class RuntimeApi {
  readonly path: string;
  readonly #timeoutMs: number;

  constructor(options: RuntimeApiOptions) {
    this.path = options.path;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** Runs `commands` in order; resolves with each one's output (without the closing empty line). */
  async execute(commands: readonly string[]): Promise<string[]> {
    const outputs: string[] = [];
    let batch: string[] = [];
    let length = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      const reply = await this.#exchange(`${batch.join('; ')}\n`);
      outputs.push(...splitOutputs(reply, batch));
      batch = [];
      length = 0;
    };
    for (const command of commands) {
      if (command.includes('\n')) throw new HaproxyRuntimeError('a command may not span lines', command);
      if (UNFRAMED.test(command)) {
        await flush();
        outputs.push((await this.#exchange(`${command}\n`)).replace(/\n+$/, '\n'));
        continue;
      }
      if (length + command.length + 2 > MAX_LINE) await flush();
      batch.push(command);
      length += command.length + 2;
    }
    await flush();
    return outputs;
  }

  /** One command with a payload (`add map @1 x.map <<` followed by lines); resolves with its output. */
  async executeWithPayload(command: string, payload: readonly string[]): Promise<string> {
    const reply = await this.#exchange(`${command} <<\n${payload.map((line) => `${line}\n`).join('')}\n`);
    return splitOutputs(reply, [command])[0] ?? '';
  }

  /** One command; its output. */
  async run(command: string): Promise<string> {
    const [output = ''] = await this.execute([command]);
    return output;
  }

  #exchange(request: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect({ path: this.path });
      const chunks: Buffer[] = [];
      let settled = false;
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        socket.destroy();
        reject(
          new HaproxyRuntimeError(`runtime API at ${this.path} failed: ${error.message}`, request.trim(), {
            cause: error,
          }),
        );
      };
      socket.setTimeout(this.#timeoutMs, () => fail(new Error(`no answer within ${this.#timeoutMs} ms`)));
      socket.on('error', fail);
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('close', () => {
        if (settled) return;
        settled = true;
        resolve(Buffer.concat(chunks).toString('utf8'));
      });
      socket.end(request);
    });
  }
}

function splitOutputs(reply: string, commands: readonly string[]): string[] {
  const outputs: string[] = [];
  let position = 0;
  for (let index = 0; index < commands.length; index++) {
    if (position >= reply.length) {
      // HAProxy stopped answering midway (it closed the connection): the rest did not run.
      throw new HaproxyRuntimeError('runtime API closed the connection early', commands[index]);
    }
    if (reply.charCodeAt(position) === 10 /* \n */) {
      outputs.push('');
      position += 1;
      continue;
    }
    const end = reply.indexOf('\n\n', position);
    if (end < 0) {
      outputs.push(reply.slice(position));
      position = reply.length;
      continue;
    }
    outputs.push(reply.slice(position, end + 1));
    position = end + 2;
  }
  return outputs;
}
