import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

// Rules still in place when the test process exits (a timed-out test skips its `finally`) are
// removed rather than left in the host's firewall.
const installed = new Set<string>();
process.once('exit', () => {
  for (const port of installed) {
    try {
      execFileSync('iptables', ['-D', 'INPUT', ...ruleFor(Number(port))], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
});

function ruleFor(port: number): string[] {
  return [
    '-i',
    'lo',
    '-p',
    'tcp',
    '--dport',
    String(port),
    '-m',
    'comment',
    '--comment',
    `wharf-test-blackhole-${process.pid}`,
    '-j',
    'DROP',
  ];
}

/** Removes rules left by test processes that died without cleaning up (killed at a timeout). */
async function removeOrphans(): Promise<void> {
  const { stdout } = await run('iptables', ['-S', 'INPUT']).catch(() => ({ stdout: '' }));
  for (const line of stdout.split('\n')) {
    const owner = /--comment wharf-test-blackhole-(\d+) /.exec(line)?.[1];
    if (owner === undefined || isAlive(Number(owner))) continue;
    await run('iptables', ['-D', ...line.trim().split(/\s+/).slice(1)]).catch(() => {});
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A loopback port whose packets vanish: an iptables rule drops everything sent to it, so new
 * connections hang in SYN_SENT and open ones get no answer — what a host that lost power or its
 * cable looks like from the edge (no reset, no ICMP). Needs root and iptables (`.ci/run`
 * installs it). `restore()` removes the rule; idempotent.
 */
export class Blackhole {
  readonly port: number;
  #active = true;

  private constructor(port: number) {
    this.port = port;
  }

  static async drop(port: number): Promise<Blackhole> {
    await removeOrphans();
    try {
      await run('iptables', ['-I', 'INPUT', ...ruleFor(port)]);
    } catch (error) {
      throw new Error(
        `cannot blackhole port ${port} with iptables (root and the iptables package are needed): ${(error as Error).message}`,
      );
    }
    installed.add(String(port));
    return new Blackhole(port);
  }

  async restore(): Promise<void> {
    if (!this.#active) return;
    this.#active = false;
    await run('iptables', ['-D', 'INPUT', ...ruleFor(this.port)]);
    installed.delete(String(this.port));
  }
}
