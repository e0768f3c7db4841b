import { createServer, type Server } from 'node:net';
import { type EndpointRecord, encodeRecord, KeyLayout } from '@wharf/core';
import type { Etcd3 } from 'etcd3';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type EtcdServer, useEtcd } from '../support/etcd-server.js';
import { freePort } from '../support/ports.js';
import { bridgeRecord, drainRecord, endpointValue, routeRecord } from '../support/records.js';
import { eventually } from '../support/wait.js';
import { buildCli, runCli, runCliInTerminal, spawnCli } from './support/run-cli.js';

const layout = new KeyLayout('/wharf');
/** The start of an ANSI escape sequence (colours). */
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[`);
const suffix = process.pid;
const node = `cli${suffix}`;
const web1 = `${node}:web-1:8080`;
const web2 = `${node}:web-2:8080`;
const api1 = `${node}:api-1:9000`;
const bridgeId = `${node}-bridge`;

function endpoint(service: string, id: string, port: number, extra: Partial<EndpointRecord> = {}) {
  return endpointValue({
    service,
    id,
    port,
    node,
    bridge: bridgeId,
    routes: [{ host: `${service}.example.com`, pathPrefix: '/' }],
    health: { check: 'http GET /health', status: 'passing', since: new Date().toISOString() },
    registeredAt: new Date(Date.now() - 90_000).toISOString(),
    ...extra,
  });
}

describe('wharf CLI against a real etcd', () => {
  let etcd: EtcdServer;
  let client: Etcd3;
  let leaseId: string;
  let env: Record<string, string>;

  useEtcd((started) => {
    etcd = started.etcd;
    client = started.client;
    env = { WHARF_ETCD: etcd.endpoint };
  });
  beforeAll(() => buildCli());

  beforeEach(async () => {
    await client.delete().prefix('/').exec();
    const lease = client.lease(60, { autoKeepAlive: false });
    leaseId = await lease.grant();
    await lease.put(layout.endpointKey('web', web1)).value(endpoint('web', web1, 1001));
    await lease
      .put(layout.endpointKey('web', web2))
      .value(endpoint('web', web2, 1002, { state: 'draining' }));
    await lease
      .put(layout.endpointKey('api', api1))
      .value(endpoint('api', api1, 2001, { routes: [{ host: 'web.example.com', pathPrefix: '/api' }] }));
    await lease
      .put(layout.bridgeKey(bridgeId))
      .value(encodeRecord(bridgeRecord({ node, startedAt: new Date(Date.now() - 3_600_000).toISOString() })));
    await client
      .put(layout.routeKey('admin'))
      .value(encodeRecord(routeRecord({ host: 'admin.example.com', service: 'api' })));
    await client.put(`${layout.services}web/broken`).value('{not json');
  });

  it('ls prints a table of endpoints and warns once about invalid values', async () => {
    const result = await runCli(['ls'], env);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SERVICE\s+INSTANCE\s+ADDRESS\s+STATE\s+HEALTH\s+NODE\s+AGE\s+ROUTES$/);
    expect(lines.slice(1).map((line) => line.split(/\s+/).slice(0, 4))).toEqual([
      ['api', api1, '127.0.0.1:2001', 'serving'],
      ['web', web1, '127.0.0.1:1001', 'serving'],
      ['web', web2, '127.0.0.1:1002', 'draining'],
    ]);
    expect(lines[2]).toMatch(/\s9\ds\s+web\.example\.com\/$/);
    expect(result.stderr).toBe('wharf: warning: skipping /wharf/services/web/broken: value is not JSON\n');

    const filtered = await runCli(['ls', 'api'], env);
    expect(filtered.stdout).toContain(api1);
    expect(filtered.stdout).not.toContain(web1);
  });

  it('ls --json gives the records, keys and drains', async () => {
    const result = await runCli(['ls', '--json', 'web'], env);
    expect(result.code).toBe(0);
    const rows = JSON.parse(result.stdout);
    expect(rows.map((row: { key: string }) => row.key)).toEqual([
      layout.endpointKey('web', web1),
      layout.endpointKey('web', web2),
    ]);
    expect(rows[0]).toMatchObject({ record: { id: web1, port: 1001, state: 'serving' }, drain: null });
  });

  it('routes shows Host/prefix → endpoints as the edge sees them', async () => {
    const text = await runCli(['routes'], env);
    expect(text.code).toBe(0);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^HOST\s+PATH\s+SERVICE\s+ENDPOINTS\s+SOURCE$/);
    expect(lines[1]).toMatch(/^admin\.example\.com\s+\/\s+api\s+127\.0\.0\.1:2001 serving\s+route:admin$/);
    expect(lines[3]).toMatch(/^web\.example\.com\s+\/\s+web\s+127\.0\.0\.1:1001 serving\s+label$/);
    expect(lines[4]).toMatch(/^\s+127\.0\.0\.1:1002 draining$/);

    const json = JSON.parse((await runCli(['routes', '--json'], env)).stdout);
    expect(
      json.map((entry: { host: string; pathPrefix: string }) => `${entry.host}${entry.pathPrefix}`),
    ).toEqual(['admin.example.com/', 'web.example.com/api', 'web.example.com/']);
  });

  it('bridges lists live bridges with mode, node, target, version and age', async () => {
    const result = await runCli(['bridges'], env);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^BRIDGE\s+MODE\s+NODE\s+TARGET\s+VERSION\s+AGE\s+ENDPOINTS$/);
    expect(lines[1]?.split(/\s+/)).toEqual([bridgeId, 'host', node, '-', '0.1.0', '60m', '3']);
    const json = JSON.parse((await runCli(['bridges', '--json'], env)).stdout);
    expect(json).toMatchObject([{ id: bridgeId, record: { mode: 'host', node }, endpoints: 3 }]);
  });

  it('inspect shows the full record, its key and the lease time left; unknown ids fail clearly', async () => {
    const result = await runCli(['inspect', web1], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`key    ${layout.endpointKey('web', web1)}`);
    expect(result.stdout).toMatch(
      new RegExp(`lease  ${BigInt(leaseId).toString(16)} \\(\\d+s of 60s left\\)`),
    );
    expect(result.stdout).toContain('"registeredAt"');

    const json = JSON.parse((await runCli(['inspect', web1, '--json'], env)).stdout);
    expect(json).toMatchObject({ kind: 'endpoint', record: { id: web1 }, lease: { grantedTtlSeconds: 60 } });
    expect(json.lease.ttlSeconds).toBeGreaterThan(50);

    const missing = await runCli(['inspect', `${node}:nope:1`], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      `wharf: no endpoint or bridge with id ${node}:nope:1 is registered (see wharf ls, wharf bridges)\n`,
    );
  });

  it('drain writes the drain key, ls shows it, undrain deletes it; unknown ids are refused', async () => {
    const drained = await runCli(['drain', web1, '--reason', 'kernel upgrade'], env);
    expect(drained.code).toBe(0);
    const value = JSON.parse((await client.get(layout.drainKey(web1)).string()) ?? 'null');
    expect(value).toMatchObject({ v: 1, service: 'web', reason: 'kernel upgrade' });
    expect(Date.now() - Date.parse(value.at)).toBeLessThan(60_000);
    const { kvs } = await client.get(layout.drainKey(web1)).exec();
    expect(kvs[0]?.lease).toBe('0');

    const listed = await runCli(['ls', 'web'], env);
    expect(listed.stdout).toMatch(
      new RegExp(`${web1}\\s+127\\.0\\.0\\.1:1001\\s+draining \\(operator: kernel upgrade\\)`),
    );
    const routes = await runCli(['routes'], env);
    // An operator drain takes effect at once: the edge routes it no new requests.
    expect(routes.stdout).toContain('127.0.0.1:1001 draining (operator)');

    const unknown = await runCli(['drain', `${node}:ghost:1`], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe(
      `wharf: no endpoint with instance id ${node}:ghost:1 is registered (see wharf ls)\n`,
    );
    expect(await client.get(layout.drainKey(`${node}:ghost:1`)).string()).toBeNull();

    const undrained = await runCli(['undrain', web1, '--json'], env);
    expect(JSON.parse(undrained.stdout)).toEqual({ key: layout.drainKey(web1), removed: true });
    expect(await client.get(layout.drainKey(web1)).string()).toBeNull();
    const again = await runCli(['undrain', web1], env);
    expect(again).toMatchObject({ code: 0, stdout: `${web1} was not drained\n` });
  });

  it('watch prints the current endpoints as adds, then one line per change until Ctrl-C', async () => {
    const watch = spawnCli(['watch', 'web'], env);
    try {
      await eventually(() => expect(watch.lines).toHaveLength(2));
      expect(watch.lines.map((line) => line.split(/\s+/).slice(1))).toEqual([
        ['add', 'web', web1, '127.0.0.1:1001', 'serving'],
        ['add', 'web', web2, '127.0.0.1:1002', 'draining'],
      ]);
      const web3 = `${node}:web-3:8080`;
      await client.put(layout.endpointKey('web', web3)).value(endpoint('web', web3, 1003));
      await client
        .put(layout.endpointKey('api', `${node}:api-2:9000`))
        .value(endpoint('api', `${node}:api-2:9000`, 2002));
      await client
        .put(layout.endpointKey('web', web1))
        .value(endpoint('web', web1, 1001, { state: 'draining' }));
      await client.delete().key(layout.endpointKey('web', web2)).exec();
      await client
        .put(layout.drainKey(web3))
        .value(encodeRecord(drainRecord({ service: 'web', at: new Date().toISOString() })));
      await eventually(() => expect(watch.lines).toHaveLength(6));
      expect(watch.lines.slice(2).map((line) => line.split(/\s+/).slice(1, 4))).toEqual([
        ['add', 'web', web3],
        ['drain', 'web', web1],
        ['remove', 'web', web2],
        ['operator-drain', 'web', web3],
      ]);
      expect(await watch.interrupt()).toBe(0);
    } finally {
      watch.kill();
    }
  });

  it('watch --json --changes-only prints ndjson changes only', async () => {
    const watch = spawnCli(['watch', '--json', '--changes-only'], env);
    try {
      // The watcher is live once a change shows up; keep writing until one does.
      const probe = `${node}:probe-1:1`;
      await eventually(async () => {
        await client.put(layout.endpointKey('probe', probe)).value(endpoint('probe', probe, 3001));
        expect(watch.lines.length).toBeGreaterThan(0);
      });
      await client.delete().key(layout.endpointKey('probe', probe)).exec();
      await eventually(() => expect(watch.lines.at(-1)).toContain('"remove"'));
      const events = watch.lines.map((line) => JSON.parse(line));
      expect(events.every((event) => event.id === probe)).toBe(true);
      // The initial list is not printed: the probe shows up as an add, or as an update when a
      // write landed before the list was read.
      expect(['add', 'update']).toContain(events[0].event);
      expect(events[0]).toMatchObject({ service: 'probe', key: layout.endpointKey('probe', probe) });
      expect(events.at(-1)).toMatchObject({ event: 'remove', record: { port: 3001 } });
      expect(await watch.interrupt()).toBe(0);
    } finally {
      watch.kill();
    }
  });

  it('watch rides out an etcd restart and prints what changed meanwhile', async () => {
    const watch = spawnCli(['watch', 'api', '--json'], env);
    try {
      await eventually(() => expect(watch.lines).toHaveLength(1));
      await etcd.stop();
      await etcd.start();
      const api2 = `${node}:api-2:9000`;
      await client.put(layout.endpointKey('api', api2)).value(endpoint('api', api2, 2002));
      await eventually(() => expect(watch.lines).toHaveLength(2), 20_000);
      expect(JSON.parse(watch.lines[1] ?? '{}')).toMatchObject({ event: 'add', id: api2 });
      expect(await watch.interrupt()).toBe(0);
    } finally {
      watch.kill();
    }
  });

  it('reports an unreachable etcd within seconds, naming the endpoint, with exit status 2', async () => {
    const refused = `http://127.0.0.1:${await freePort()}`;
    for (const command of [['ls'], ['watch'], ['drain', web1]]) {
      const result = await runCli([...command, '--etcd', refused], env);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(
        new RegExp(`^wharf: cannot [a-z ]+: etcd at ${refused}: .*ECONNREFUSED.*\\n$`),
      );
      expect(result.ms).toBeLessThan(10_000);
    }

    // A port that accepts connections but never answers (a hung etcd or a firewall that
    // swallows packets) must not wait for the client's 30 s default.
    const silent: Server = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as { port: number }).port;
      const result = await runCli(['ls', '--etcd', `http://127.0.0.1:${port}`], env);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`etcd at http://127.0.0.1:${port}:`);
      expect(result.ms).toBeLessThan(15_000);
    } finally {
      silent.close();
    }
  });

  it('writes no colour codes to a pipe or with NO_COLOR, and colours a terminal otherwise', async () => {
    for (const args of [['ls'], ['routes'], ['bridges'], ['inspect', web1]]) {
      const result = await runCli(args, env);
      expect(result.stdout).not.toMatch(ANSI);
    }
    const terminal = await runCliInTerminal(['ls'], env);
    expect(terminal).toMatch(ANSI);
    expect(await runCliInTerminal(['ls'], { ...env, NO_COLOR: '1' })).not.toMatch(ANSI);
    expect(await runCliInTerminal(['ls', '--no-color'], env)).not.toMatch(ANSI);
  });

  it('rejects bad flags and environment with one clear line', async () => {
    const cases: [string[], Record<string, string>, RegExp][] = [
      [['ls', '--bogus'], env, /^error: unknown option '--bogus'\n$/],
      [['ls'], { WHARF_ETCD: 'tcp://x' }, /^wharf: WHARF_ETCD="tcp:\/\/x" is invalid: expected .*\n$/],
      [['ls', '--etcd', 'nope'], env, /^wharf: WHARF_ETCD="nope" is invalid: .*\(set by --etcd\)\n$/],
      [
        ['ls', '--prefix', 'relative'],
        env,
        /^wharf: WHARF_PREFIX="relative" is invalid: .*\(set by --prefix\)\n$/,
      ],
      [
        ['ls', '--ca', '/nonexistent/ca.pem'],
        env,
        /^wharf: WHARF_ETCD_CA="\/nonexistent\/ca.pem" is invalid: expected a readable file/,
      ],
      [['ls'], { ...env, LOG_LEVEL: 'loud' }, /^wharf: LOG_LEVEL="loud" is invalid: expected one of /],
      [['drain', 'bad/id'], env, /^wharf: invalid instance id "bad\/id"/],
      [['frobnicate'], env, /^error: unknown command 'frobnicate'/],
    ];
    for (const [args, caseEnv, expected] of cases) {
      const result = await runCli(args, caseEnv);
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stderr, args.join(' ')).toMatch(expected);
      expect(result.stderr.trimEnd().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });

  it('reads a registry larger than one range page, at one revision', async () => {
    const ids = Array.from(
      { length: 2_100 },
      (_, index) => `${node}:bulk-${String(index).padStart(4, '0')}:80`,
    );
    for (let start = 0; start < ids.length; start += 250) {
      await Promise.all(
        ids
          .slice(start, start + 250)
          .map((bulkId, offset) =>
            client
              .put(layout.endpointKey('bulk', bulkId))
              .value(endpoint('bulk', bulkId, 10_000 + start + offset)),
          ),
      );
    }
    const result = await runCli(['ls', 'bulk', '--json'], env);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).map((row: { record: { id: string } }) => row.record.id)).toEqual(ids);
  });

  it('reads another prefix with --prefix', async () => {
    const other = new KeyLayout(`/other-${suffix}`);
    await client
      .put(other.endpointKey('db', `${node}:db-1:5432`))
      .value(endpoint('db', `${node}:db-1:5432`, 5432));
    const result = await runCli(['ls', '--json', '--prefix', other.prefix], env);
    expect(JSON.parse(result.stdout).map((row: { record: { id: string } }) => row.record.id)).toEqual([
      `${node}:db-1:5432`,
    ]);
  });
});
