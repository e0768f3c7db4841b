import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createEtcdClient, encodeRecord, KeyLayout } from '@wharf/core';
import type { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EtcdServer } from '../support/etcd-server.js';
import { freePort } from '../support/ports.js';
import { eventually } from '../support/wait.js';
import { buildCli, runCli, spawnCli } from './support/run-cli.js';

const execFileAsync = promisify(execFile);
const layout = new KeyLayout('/wharf');

function endpoint(service: string, id: string, address: string, port: number, state = 'serving') {
  return encodeRecord({
    v: 1,
    service,
    id,
    address,
    port,
    protocol: 'tcp',
    node: 'n1',
    bridge: 'n1-bridge',
    tags: [],
    weight: 1,
    routes: [],
    state,
    registeredAt: new Date().toISOString(),
  });
}

describe('wharf wait against a real etcd', () => {
  let etcd: EtcdServer;
  let client: Etcd3;
  let env: Record<string, string>;
  const put = (service: string, id: string, address: string, port: number, state = 'serving') =>
    client.put(layout.endpointKey(service, id)).value(endpoint(service, id, address, port, state));

  beforeAll(async () => {
    [etcd] = await Promise.all([EtcdServer.start(), buildCli()]);
    client = createEtcdClient({ endpoints: [etcd.endpoint] });
    env = { WHARF_ETCD: etcd.endpoint };
  });
  afterAll(async () => {
    client?.close();
    await etcd?.close();
  });
  beforeEach(async () => {
    await client.delete().prefix('/wharf/').exec();
  });

  it('returns at once when the services already serve', async () => {
    await put('db', 'n1:db-1:5432', '10.0.0.5', 32768);
    const result = await runCli(['wait', 'db', '--timeout', '10s'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('db: 1 of 1 serving (10.0.0.5:32768)\n');
  });

  it('waits until each service has --min serving endpoints (draining and drained ones do not count), then runs the command with their addresses', async () => {
    const waiting = spawnCli(
      [
        'wait',
        'db',
        'cache',
        '--min',
        '2',
        '--timeout',
        '30s',
        '--',
        'sh',
        '-c',
        'echo "db=$WHARF_DB_ADDRS cache=$WHARF_CACHE_ADDRS"; exit 7',
      ],
      env,
    );
    try {
      await put('db', 'n1:db-1:5432', '10.0.0.5', 32768);
      await put('db', 'n1:db-2:5432', '10.0.0.6', 32768, 'draining');
      await put('cache', 'n1:cache-1:11211', '10.0.0.7', 11211);
      await put('cache', 'n1:cache-2:11211', '10.0.0.8', 11211);
      await client
        .put(layout.drainKey('n1:cache-2:11211'))
        .value(encodeRecord({ v: 1, service: 'cache', at: new Date().toISOString() }));
      await eventually(() => {
        expect(waiting.lines).toContain('db: 1 of 2 serving (10.0.0.5:32768)');
        expect(waiting.lines).toContain('cache: 1 of 2 serving (10.0.0.7:11211)');
      });
      // Only once cache's drain is lifted and db gets a second serving endpoint is it done.
      expect(waiting.lines.some((line) => line.startsWith('db='))).toBe(false);
      await client.delete().key(layout.drainKey('n1:cache-2:11211')).exec();
      await put('db', 'n1:db-2:5432', '10.0.0.6', 32768);
      const code = await waiting.exited;
      expect(code, waiting.stderr).toBe(7);
      expect(waiting.lines).toContain('db=10.0.0.5:32768,10.0.0.6:32768 cache=10.0.0.7:11211,10.0.0.8:11211');
    } finally {
      waiting.kill();
    }
  });

  it('times out naming what is missing (exit 1)', async () => {
    await put('db', 'n1:db-1:5432', '10.0.0.5', 32768);
    const result = await runCli(['wait', 'db', 'cache', '--min', '2', '--timeout', '1s'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'wharf: timed out after 1s: db has 1 of 2 serving endpoints, cache has 0 of 2 serving endpoints',
    );
  });

  it('exits 2 when etcd never answers', async () => {
    const port = await freePort();
    const result = await runCli(['wait', 'db', '--timeout', '2s'], {
      WHARF_ETCD: `http://127.0.0.1:${port}`,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`timed out after 2s: no answer from etcd at http://127.0.0.1:${port}`);
  });

  it('passes signals to the command and returns its status (127 when it does not exist)', async () => {
    await put('db', 'n1:db-1:5432', '10.0.0.5', 32768);
    const sleeping = spawnCli(
      [
        'wait',
        'db',
        '--',
        'sh',
        '-c',
        'trap "echo got INT; exit 42" INT; echo started; while :; do sleep 0.1; done',
      ],
      env,
    );
    try {
      await eventually(() => expect(sleeping.lines).toContain('started'));
      expect(await sleeping.interrupt()).toBe(42);
      expect(sleeping.lines).toContain('got INT');
    } finally {
      sleeping.kill();
    }
    const missing = await runCli(['wait', 'db', '--', 'no-such-command-here'], env);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toContain('command not found: no-such-command-here');
  });

  it('wharf/cli image: waits, then the command replaces the process (PID 1, its own exit status)', async () => {
    await put('db', 'n1:db-1:5432', '10.0.0.5', 32768);
    const name = `wharf-cli-wait-${process.pid}`;
    try {
      const run = execFileAsync(
        'docker',
        [
          'run',
          '--name',
          name,
          '--network',
          'host',
          '-e',
          `WHARF_ETCD=${etcd.endpoint}`,
          'wharf/cli',
          'wait',
          'db',
          '--timeout',
          '20s',
          '--',
          'sh',
          '-c',
          'echo "pid=$$ db=$WHARF_DB_ADDRS"; exit 3',
        ],
        { timeout: 60_000 },
      );
      const failure = await run.then(
        () => undefined,
        (error: { code?: number; stdout?: string; stderr?: string }) => error,
      );
      expect(failure?.code, failure?.stderr).toBe(3);
      expect(failure?.stdout).toContain('pid=1 db=10.0.0.5:32768');
    } finally {
      await execFileAsync('docker', ['rm', '-f', name]).catch(() => {});
    }
  });
});
