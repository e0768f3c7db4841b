import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findHaproxyBinary } from '../../packages/edge/src/dataplane/haproxy/haproxy-binary.js';
import {
  type HaproxyConfigInput,
  RUNTIME_FILES,
  renderHaproxyConfig,
  renderMapFile,
} from '../../packages/edge/src/dataplane/haproxy/haproxy-config.js';
import { HaproxyProcess } from '../../packages/edge/src/dataplane/haproxy/haproxy-process.js';
import { freePort } from '../support/ports.js';
import { createTestCertificateAuthority } from '../support/tls.js';
import { eventually } from '../support/wait.js';

// The HAProxy pieces against a real HAProxy (Debian's 2.6): what the renderer writes, the
// Runtime API client, the supervisor's reload and stop.

const LUA = fileURLToPath(new URL('../../packages/edge/haproxy/wharf.lua', import.meta.url));

async function writeRuntimeFiles(directory: string, input: HaproxyConfigInput): Promise<string> {
  const config = join(directory, RUNTIME_FILES.config);
  await writeFile(config, renderHaproxyConfig(input));
  const files = ['hosts', 'wildcards', 'routes', 'slots', 'held', 'redirect', 'hsts'] as const;
  const tlsFiles = ['sni', 'sniWildcards', 'challenges', 'crtList'] as const;
  for (const name of [...files, ...tlsFiles]) {
    await writeFile(join(directory, RUNTIME_FILES[name]), '');
  }
  await writeFile(
    join(directory, RUNTIME_FILES.state),
    renderMapFile([
      ['open', '1'],
      ['tls_default', '0'],
    ]),
  );
  return config;
}

function input(
  directory: string,
  port: number,
  changes: Partial<HaproxyConfigInput> = {},
): HaproxyConfigInput {
  return {
    directory,
    luaFile: LUA,
    listen: { host: '127.0.0.1', port },
    threads: 1,
    trustedProxies: [],
    headersTimeoutMs: 10_000,
    idleTimeoutMs: 60_000,
    upstreamTimeoutMs: 60_000,
    connectTimeoutMs: 1_000,
    startupWaitMs: 5_000,
    routeWaitMs: 10_000,
    ejectionMs: 10_000,
    oldWorkerGraceMs: 3_600_000,
    accessLog: false,
    requestIdPrefix: 'abcdef01',
    slots: [{ name: 'p0', servers: [] }],
    ...changes,
  };
}

describe('HAProxy configuration, Runtime API and supervisor against a real HAProxy', () => {
  let directory: string;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'wharf-haproxy-test-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('renders configurations haproxy -c accepts: IPv6, trusted proxies, backups, drained servers, access log, TLS', async () => {
    const config = await writeRuntimeFiles(
      directory,
      input(directory, await freePort(), {
        listen: { host: '::1', port: await freePort() },
        threads: 2,
        trustedProxies: ['10.0.0.0/8', '::1/128'],
        accessLog: true,
        // An empty crt-list: certificates arrive through the Runtime API.
        tls: { listen: { host: '::1', port: await freePort() }, alpnResponderPort: 1, redirectPort: 8443 },
        slots: [
          {
            name: 'p0',
            servers: [
              {
                name: 'n1:a:80',
                address: 'fd00::5',
                port: 80,
                weight: 256,
                ready: true,
                backup: false,
                checked: true,
              },
              {
                name: 'n1:a:80:panic',
                address: 'fd00::5',
                port: 80,
                weight: 256,
                ready: true,
                backup: true,
                checked: false,
              },
              {
                name: 'n2:b:80',
                address: '10.0.0.9',
                port: 8080,
                weight: 0,
                ready: false,
                backup: true,
                checked: true,
              },
            ],
          },
          { name: 'p1', servers: [] },
        ],
      }),
    );
    // The crt-list always starts with the bind's default certificate (HaproxyTls).
    const authority = createTestCertificateAuthority();
    try {
      const issued = authority.issue('default', ['edge.test']);
      const pem = join(directory, 'default.pem');
      await writeFile(pem, `${await readFile(issued.cert, 'utf8')}${await readFile(issued.key, 'utf8')}`);
      await writeFile(join(directory, RUNTIME_FILES.crtList), `${pem} wharf-default.invalid\n`);
      const { stdout, stderr } = await promisify(execFile)('haproxy', ['-c', '-f', config]);
      expect(`${stdout}${stderr}`).toMatch(/Configuration file is valid/);
    } finally {
      authority.close();
    }
  });

  it('runs commands in batches longer than a request line, payloads, and reloads and stops gracefully', async () => {
    const port = await freePort();
    const binary = await findHaproxyBinary();
    let slots: HaproxyConfigInput['slots'] = [{ name: 'p0', servers: [] }];
    const process = new HaproxyProcess({
      binary,
      directory,
      stopGraceMs: 5_000,
      prepare: async () => {
        await writeRuntimeFiles(directory, input(directory, port, { slots }));
      },
    });
    const stop = new AbortController();
    const running = process.run(stop.signal);
    try {
      await process.started;
      // 300 servers: more than one line of commands, so several connections in order.
      const names = Array.from({ length: 300 }, (_, index) => `n1:s${index}:80`);
      const outputs = await process.api.execute(
        names.map((name, index) => `add server p0/${name} 127.0.0.1:${10_000 + index} weight 1`),
      );
      expect(outputs).toHaveLength(300);
      expect(new Set(outputs.map((output) => output.trim()))).toEqual(new Set(['New server registered.']));
      const [missing, known] = await process.api.execute([
        'set server p0/nope weight 2',
        'set server p0/n1:s0:80 weight 2',
      ]);
      expect(missing).toMatch(/No such server/);
      expect(known).toBe('');
      // `del server` answers without the closing empty line, a failed `del ssl cert` with two:
      // in one call with others, each output still belongs to its own command. (Servers added
      // at run time start in maintenance: s3 is enabled so that its deletion is refused.)
      const deletions = await process.api.execute([
        'enable server p0/n1:s3:80',
        'set server p0/n1:s1:80 state maint',
        'set server p0/n1:s2:80 state maint',
        'del server p0/n1:s1:80',
        'del server p0/n1:s2:80',
        'del ssl cert /nowhere.pem',
        'del server p0/n1:s3:80',
        'set server p0/n1:s4:80 weight 3',
        'del server p0/nope',
      ]);
      expect(deletions).toEqual([
        '',
        '',
        '',
        'Server deleted.\n',
        'Server deleted.\n',
        expect.stringMatching(/^Can't remove the certificate.*\n$/),
        'Only servers in maintenance mode can be deleted.\n',
        '',
        expect.stringMatching(/No such server/),
      ]);
      expect(await process.api.run('show servers state p0')).not.toMatch(/n1:s[12]:80 /);
      const prepared = await process.api.run(`prepare map ${join(directory, RUNTIME_FILES.routes)}`);
      const version = /New version created: (\d+)/.exec(prepared)?.[1];
      expect(version).toBeDefined();
      expect(
        await process.api.executeWithPayload(`add map @${version} ${join(directory, RUNTIME_FILES.routes)}`, [
          'a.test/ p0',
          'b.test/api/ p0',
        ]),
      ).toBe('');
      expect(await process.api.run(`commit map @${version} ${join(directory, RUNTIME_FILES.routes)}`)).toBe(
        '',
      );
      expect(await process.api.run(`show map ${join(directory, RUNTIME_FILES.routes)}`)).toMatch(
        /b\.test\/api\/ p0/,
      );

      // A reload brings up a new worker from the files (the runtime-added servers are gone).
      slots = [
        { name: 'p0', servers: [] },
        { name: 'p1', servers: [] },
      ];
      await writeRuntimeFiles(directory, input(directory, port, { slots }));
      await eventually(async () => expect(await process.master.run('show proc')).toMatch(/master/));
      await process.reload();
      expect(process.reloads).toBe(1);
      expect(await process.api.run('show servers state p1')).toMatch(/^1\n/);
      expect(await process.api.run('show servers state p0')).not.toMatch(/n1:s0:80/);
    } finally {
      stop.abort();
      await running;
    }
    expect(process.pid).toBeUndefined();
  });
});
