import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { docker } from '../support/docker-cli.js';
import type { SimulatedHost } from '../support/simulated-host.js';
import { SimulatedHosts } from '../support/simulated-hosts.js';
import { eventually } from '../support/wait.js';

// The harness the multi-host suite, its benchmarks and `./run.sh up --hosts N` stand on: what
// a simulated host is, what a partition cuts, and that nothing is left behind, also when the
// code using the hosts throws.

const LISTEN_PORT = 7000;

describe('simulated hosts', { timeout: 120_000 }, () => {
  it('each runs its own Docker Engine at its own address; a partition cuts exactly the other hosts', async () => {
    await using group = await SimulatedHosts.start({ name: uniqueName(), count: 2 });
    const [first, second] = group.hosts as [SimulatedHost, SimulatedHost];

    expect(
      await Promise.all(group.hosts.map((host) => host.docker(['info', '--format', '{{.Name}}']))),
    ).toEqual(['h1\n', 'h2\n']);
    expect(first.address).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(second.address).not.toBe(first.address);

    // A TCP listener on the second host (perl is in every Debian base system).
    await docker([
      'exec',
      '-d',
      second.container,
      'perl',
      '-MIO::Socket::INET',
      '-e',
      `$s = IO::Socket::INET->new(LocalPort => ${LISTEN_PORT}, Listen => 5, ReuseAddr => 1) or die; close $c while $c = $s->accept`,
    ]);
    await eventually(async () => expect(await reaches(first, second.address)).toBe(true));

    await group.partition(second);
    expect(await reaches(first, second.address)).toBe(false);
    // The machine running the tests is no other host: it still gets through.
    expect(await connects(second.address)).toBe(true);

    await second.heal();
    expect(await reaches(first, second.address)).toBe(true);
  });

  it('leaves nothing behind when the code using them throws', async () => {
    const name = uniqueName();
    const failure = new Error('the test using the hosts failed');
    await expect(
      (async () => {
        await using group = await SimulatedHosts.start({ name, count: 1 });
        expect(group.hosts).toHaveLength(1);
        throw failure;
      })(),
    ).rejects.toBe(failure);

    expect(await docker(['ps', '-a', '--filter', `name=${name}`, '--format', '{{.Names}}'])).toBe('');
    expect(await docker(['network', 'ls', '--filter', `name=${name}`, '--format', '{{.Name}}'])).toBe('');
    expect(await SimulatedHosts.find(name)).toBeUndefined();
    // Each host's engine made cgroups under /<container>; they are gone too.
    const hierarchies = await readdir('/sys/fs/cgroup');
    const left = await Promise.all(
      hierarchies.map((hierarchy) =>
        readdir(`/sys/fs/cgroup/${hierarchy}`).then(
          (entries) => entries,
          () => [],
        ),
      ),
    );
    expect([...hierarchies, ...left.flat()].filter((entry) => entry.startsWith(name))).toEqual([]);
  });
});

function uniqueName(): string {
  return `wharf-hosts-test-${randomBytes(3).toString('hex')}`;
}

/** Whether `from` opens a TCP connection to `address` within 2 s (bash's /dev/tcp). */
async function reaches(from: SimulatedHost, address: string): Promise<boolean> {
  return from.exec(['timeout', '2', 'bash', '-c', `exec 3<>/dev/tcp/${address}/${LISTEN_PORT}`]).then(
    () => true,
    () => false,
  );
}

/** Whether this machine opens a TCP connection to `address` within 2 s. */
function connects(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port: LISTEN_PORT, timeout: 2_000 });
    socket.on('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', () => resolve(false));
  });
}
