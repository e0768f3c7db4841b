import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Etcd3 } from 'etcd3';
import { freePort } from './ports.js';

interface Member {
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly dataDir: string;
  process: ChildProcess | undefined;
}

/**
 * A real etcd cluster: `size` etcd processes on loopback, each with its own data directory.
 * Members can be killed and restarted (data kept), or frozen with SIGSTOP to play a partition
 * (the member stops answering peers and clients alike) and thawed with SIGCONT.
 */
export class EtcdCluster {
  readonly #root = mkdtempSync(join(tmpdir(), 'wharf-etcd-cluster-'));
  readonly members: Member[] = [];
  readonly #token = `wharf-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

  static async start(size = 3): Promise<EtcdCluster> {
    const cluster = new EtcdCluster();
    for (let index = 0; index < size; index += 1) {
      const name = `m${index}`;
      cluster.members.push({
        name,
        clientPort: await freePort(),
        peerPort: await freePort(),
        dataDir: join(cluster.#root, name),
        process: undefined,
      });
    }
    try {
      for (let index = 0; index < size; index += 1) cluster.#spawn(index);
      await cluster.waitHealthy();
    } catch (error) {
      await cluster.close();
      throw error;
    }
    return cluster;
  }

  get endpoints(): string[] {
    return this.members.map((member) => `http://127.0.0.1:${member.clientPort}`);
  }

  #spawn(index: number): void {
    const member = this.members[index]!;
    const peer = (m: Member) => `http://127.0.0.1:${m.peerPort}`;
    const client = `http://127.0.0.1:${member.clientPort}`;
    const args = [
      `--name=${member.name}`,
      `--data-dir=${member.dataDir}`,
      `--listen-client-urls=${client}`,
      `--advertise-client-urls=${client}`,
      `--listen-peer-urls=${peer(member)}`,
      `--initial-advertise-peer-urls=${peer(member)}`,
      `--initial-cluster=${this.members.map((m) => `${m.name}=${peer(m)}`).join(',')}`,
      `--initial-cluster-token=${this.#token}`,
      '--initial-cluster-state=new',
      // As etcd 3.5 does by default: a member that was cut off does not force an election on its return.
      '--pre-vote',
      '--log-level=error',
      '--logger=zap',
    ];
    const log = createWriteStream(join(this.#root, `${member.name}.log`), { flags: 'a' });
    const child = spawn('etcd', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    member.process = child;
    child.once('exit', () => {
      if (member.process === child) member.process = undefined;
    });
  }

  /** Waits until a write through every endpoint succeeds (a leader exists and a quorum answers). */
  async waitHealthy(timeoutMs = 20_000): Promise<void> {
    const client = new Etcd3({ hosts: this.endpoints, dialTimeout: 500 });
    const deadline = Date.now() + timeoutMs;
    try {
      for (;;) {
        try {
          await client
            .put('/cluster-probe')
            .value('1')
            .options({ deadline: Date.now() + 1_000 })
            .exec();
          return;
        } catch (error) {
          if (Date.now() > deadline) throw error;
          await sleep(100);
        }
      }
    } finally {
      client.close();
    }
  }

  /** Index of the current leader, from the members that answer. */
  async leader(): Promise<number> {
    const ids = new Map<string, number>();
    let leaderId: string | undefined;
    for (const [index, endpoint] of this.endpoints.entries()) {
      if (!this.members[index]!.process) continue;
      const client = new Etcd3({ hosts: endpoint, dialTimeout: 500 });
      try {
        const status = await client.maintenance.status({});
        ids.set(status.header.member_id, index);
        if (status.leader !== '0') leaderId = status.leader;
      } catch {
        // not answering; ask the next member
      } finally {
        client.close();
      }
    }
    const leader = leaderId === undefined ? undefined : ids.get(leaderId);
    if (leader === undefined) throw new Error('no answering etcd member knows the leader');
    return leader;
  }

  /** SIGKILLs one member and waits for it to exit; its data is kept. */
  async kill(index: number): Promise<void> {
    const child = this.members[index]!.process;
    if (!child) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** Starts a stopped member again from its data. */
  restart(index: number): void {
    if (this.members[index]!.process) return;
    this.#spawn(index);
  }

  /** Freezes a member (SIGSTOP): to its peers and clients it is partitioned away. */
  pause(index: number): void {
    this.members[index]!.process?.kill('SIGSTOP');
  }

  resume(index: number): void {
    this.members[index]!.process?.kill('SIGCONT');
  }

  /** Kills every member and removes all data. Idempotent. */
  async close(): Promise<void> {
    for (const [index, member] of this.members.entries()) {
      member.process?.kill('SIGCONT');
      await this.kill(index);
    }
    rmSync(this.#root, { recursive: true, force: true });
  }
}
