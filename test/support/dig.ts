import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** One resource record as dig prints it: owner, TTL, class, type and the data fields. */
export interface DigRecord {
  readonly name: string;
  readonly ttl: number;
  readonly type: string;
  readonly data: readonly string[];
}

export interface DigResult {
  /** The response code (`NOERROR`, `NXDOMAIN`, …), or `TIMEOUT` when nothing answered. */
  readonly status: string;
  readonly flags: readonly string[];
  readonly answer: readonly DigRecord[];
  readonly authority: readonly DigRecord[];
  readonly additional: readonly DigRecord[];
  /** dig's whole output, for failure messages and lines such as "Truncated, retrying in TCP mode". */
  readonly output: string;
}

/**
 * Asks a DNS server with `dig` (Debian: bind9-dnsutils), the reference client, and parses its
 * output. `options` are dig's own (`+tcp`, `+noedns`, `+edns=1`, `+bufsize=512`, …).
 */
export async function dig(
  server: { readonly host: string; readonly port: number },
  name: string,
  type = 'A',
  options: readonly string[] = [],
): Promise<DigResult> {
  const args = [`@${server.host}`, '-p', String(server.port), name, type, '+time=2', '+tries=1', ...options];
  let output: string;
  try {
    ({ stdout: output } = await execFileAsync('dig', args, { timeout: 15_000 }));
  } catch (error) {
    const failed = error as { stdout?: string; code?: number };
    // dig exits 9 when no server answered.
    if (failed.code === 9)
      return {
        status: 'TIMEOUT',
        flags: [],
        answer: [],
        authority: [],
        additional: [],
        output: failed.stdout ?? '',
      };
    throw error;
  }
  // After a truncated UDP answer dig prints the TCP retry's answer last: parse the last one.
  const last = output.slice(output.lastIndexOf(';; ->>HEADER<<-'));
  const status = /status: ([A-Z]+)/.exec(last)?.[1] ?? 'UNKNOWN';
  const flags = (/;; flags: ([a-z ]*);/.exec(last)?.[1] ?? '').split(' ').filter(Boolean);
  return {
    status,
    flags,
    answer: section(last, 'ANSWER'),
    authority: section(last, 'AUTHORITY'),
    additional: section(last, 'ADDITIONAL'),
    output,
  };
}

function section(text: string, name: string): DigRecord[] {
  const start = text.indexOf(`;; ${name} SECTION:\n`);
  if (start < 0) return [];
  const records: DigRecord[] = [];
  for (const line of text.slice(start).split('\n').slice(1)) {
    if (line.trim() === '') break;
    const [owner = '', ttl = '0', , type = '', ...data] = line.split(/\s+/);
    records.push({ name: owner, ttl: Number(ttl), type, data });
  }
  return records;
}
