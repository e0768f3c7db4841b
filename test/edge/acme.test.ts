import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createEtcdClient, decodeAcmeStatusRecord, decodeCertificateRecord, KeyLayout } from '@wharf/core';
import type { Etcd3 } from 'etcd3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BridgeProcess } from '../bridge/support/bridge-process.js';
import { DemoContainers } from '../bridge/support/demo-containers.js';
import { DATA_PLANES } from '../support/data-planes.js';
import { EtcdServer } from '../support/etcd-server.js';
import { Pebble } from '../support/pebble.js';
import { freePort } from '../support/ports.js';
import { eventually } from '../support/wait.js';
import { get, putEndpoint, TestBackend } from './support/backends.js';
import { EdgeProcess } from './support/edge-process.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../packages/cli/dist/main.js', import.meta.url));
/** Short-lived certificates, so that renewal (a third of the lifetime left) comes within the test. */
const VALIDITY_SECONDS = 30;

// The issuer lives in the controller and is the same whatever the plane: the whole flow runs on
// the built-in plane; on HAProxy, what the plane itself does (HTTP-01 answers and redirects,
// TLS-ALPN-01 through its TCP front, certificates swapped through the Runtime API).
describe.each(
  DATA_PLANES,
)('ACME against Pebble on the %s plane: certificates shared by every edge through etcd', (dataplane) => {
  const layout = new KeyLayout(`/wharf-acme-${process.pid}-${dataplane}`);
  const controllerOnly = dataplane === 'builtin';
  let etcd: EtcdServer;
  let client: Etcd3;
  let pebble: Pebble;
  let backend: TestBackend;
  let httpPort: number;
  let tlsPort: number;
  let dir: string;
  let root: string;
  let keyFile: string;
  const edges: EdgeProcess[] = [];

  /** An edge on its own loopback address, on the ports Pebble validates. */
  const startEdge = async (address: string, env: Record<string, string> = {}) => {
    const edge = await EdgeProcess.start({
      dataplane,
      etcd: etcd.endpoint,
      prefix: layout.prefix,
      host: address,
      port: httpPort,
      tls: tlsPort,
      env: { WHARF_TLS_REDIRECT_PORT: String(tlsPort), ...env },
    });
    edges.push(edge);
    return edge;
  };
  const acmeEnv = (challenges: string) => ({
    WHARF_ACME_DIRECTORY: pebble.directory,
    WHARF_ACME_CA: pebble.apiCa,
    WHARF_ACME_EMAIL: 'ops@wharf.test',
    WHARF_ACME_CHALLENGES: challenges,
    // The edge's lease: an edge killed mid-order releases its lock this long after.
    WHARF_TTL: '3s',
  });

  /** curl over HTTPS to `host` at `address`, verifying against Pebble's root. */
  const curlHttps = async (host: string, address: string, path = '/') => {
    const { stdout } = await run('curl', [
      '-sS',
      '--max-time',
      '5',
      '--cacert',
      root,
      '--resolve',
      `${host}:${tlsPort}:${address}`,
      '-w',
      '\n%{http_code}',
      `https://${host}:${tlsPort}${path}`,
    ]);
    const lines = stdout.split('\n');
    return { status: Number(lines.pop()), body: lines.join('\n') };
  };

  /** The SHA-256 fingerprint of the certificate an edge presents for `host` (new connection). */
  const servedFingerprint = (host: string, address: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const req = httpsRequest(
        {
          host: address,
          port: tlsPort,
          servername: host,
          headers: { host },
          ca: readFileSync(root),
          agent: false,
        },
        (res) => {
          res.resume();
          resolve((res.socket as TLSSocket).getPeerCertificate().fingerprint256);
        },
      );
      req.on('error', reject);
      req.end();
    });

  const certificateRecord = async (host: string) => {
    const raw = await client.get(layout.certificateKey(host)).buffer();
    if (raw === null) return undefined;
    const decoded = decodeCertificateRecord(raw);
    return decoded.ok ? decoded.record : undefined;
  };
  const statusRecord = async (host: string) => {
    const raw = await client.get(layout.acmeKey('status', host)).buffer();
    const decoded = raw === null ? undefined : decodeAcmeStatusRecord(raw);
    return decoded?.ok ? decoded.record : undefined;
  };

  beforeAll(async () => {
    httpPort = await freePort();
    tlsPort = await freePort();
    dir = mkdtempSync(join(tmpdir(), 'wharf-acme-'));
    keyFile = join(dir, 'tls.key');
    writeFileSync(keyFile, randomBytes(32).toString('hex'));
    pebble = await Pebble.start({ httpPort, tlsPort, validitySeconds: VALIDITY_SECONDS });
    root = join(dir, 'pebble-root.pem');
    writeFileSync(root, await pebble.root());
    etcd = await EtcdServer.start();
    client = createEtcdClient({ endpoints: [etcd.endpoint] });
    backend = await TestBackend.start('app');
  });

  afterEach(async () => {
    await Promise.all(edges.splice(0).map((edge) => edge.stop()));
    // Each test's hosts are its own: a later edge must not try to renew them (their DNS points
    // at edges that are gone, and an edge orders one certificate at a time).
    await client.delete().prefix(layout.services);
  });

  afterAll(async () => {
    await Promise.all(edges.map((edge) => edge.kill()));
    client?.close();
    await backend?.close();
    await etcd?.stop();
    await pebble?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('HTTP-01: one edge orders, the CA validates against the other, both serve the certificate', async () => {
    const orderer = await startEdge('127.0.0.2', acmeEnv('http-01'));
    const other = await startEdge('127.0.0.3');
    await pebble.resolve('h1.test', '127.0.0.3');
    await putEndpoint(client, layout, 'web', 'n1:web-1:80', backend.port, {
      routes: [{ host: 'h1.test', pathPrefix: '/', tls: 'auto', redirect: 'https' }],
    });
    await eventually(async () => expect(await certificateRecord('h1.test')).toBeDefined(), 30_000);
    const stored = Date.now();
    // Both edges serve it, verified against Pebble's root, within a second or so of the write.
    await eventually(async () => {
      expect(await curlHttps('h1.test', '127.0.0.3', '/x')).toEqual({ status: 200, body: 'app /x' });
      expect(await curlHttps('h1.test', '127.0.0.2', '/y')).toEqual({ status: 200, body: 'app /y' });
    });
    const spreadMs = Date.now() - stored;
    console.log(`certificate served by both edges ${spreadMs} ms after it was stored`);
    expect(spreadMs).toBeLessThan(2_000);
    const status = await statusRecord('h1.test');
    expect(status).toMatchObject({ failures: 0, holder: expect.stringContaining(`:${orderer.child.pid}`) });
    expect(orderer.log).toContain('certificate issued');
    expect(other.log).not.toContain('ordering certificate');
    expect(`${orderer.log}${other.log}`).not.toContain('skipping invalid registry value');
    // The plain listener redirects to HTTPS; a 308 keeps the method.
    const plain = await get(`http://127.0.0.3:${httpPort}`, 'h1.test', '/page?q=1');
    expect(plain.status).toBe(308);
    expect(plain.headers.get('location')).toBe(`https://h1.test:${tlsPort}/page?q=1`);
    // ACME HTTP-01 paths are never redirected: one the edges do not know goes to the app.
    const challengePath = await get(
      `http://127.0.0.3:${httpPort}`,
      'h1.test',
      '/.well-known/acme-challenge/other',
    );
    expect(challengePath).toMatchObject({ status: 200, body: 'app /.well-known/acme-challenge/other' });
    // `wharf certs` shows it.
    const { stdout } = await run(process.execPath, [
      CLI,
      'certs',
      '--json',
      '--etcd',
      etcd.endpoint,
      '--prefix',
      layout.prefix,
    ]);
    expect(JSON.parse(stdout)).toContainEqual(
      expect.objectContaining({ name: 'h1.test', domains: ['h1.test'], source: 'acme', status: 'valid' }),
    );
    // No challenge is left behind.
    expect((await client.getAll().prefix(`${layout.acme}challenges/`).keys()).length).toBe(0);
  });

  it.runIf(controllerOnly)(
    'a container labelled wharf.tls=auto, registered by a real bridge, is reachable over HTTPS',
    async () => {
      const containers = new DemoContainers();
      const name = `wharf-h15-acme-${process.pid}-${dataplane}`;
      const bridge = new BridgeProcess({
        WHARF_ETCD: etcd.endpoint,
        WHARF_PREFIX: layout.prefix,
        WHARF_TARGET: name,
        WHARF_NODE: 'acme-test',
        WHARF_HOST_IP: '127.0.0.1',
        WHARF_TTL: '3s',
      });
      try {
        await startEdge('127.0.0.7', acmeEnv('http-01'));
        await pebble.resolve('h5.test', '127.0.0.7');
        await containers.start(name, {
          labels: {
            'wharf.service': 'labelled',
            'wharf.http.host': 'h5.test',
            'wharf.tls': 'auto',
            'wharf.http.redirect': 'https',
            'wharf.check': 'http:/health',
            'wharf.check.interval': '300ms',
          },
        });
        await eventually(async () => {
          const answer = await curlHttps('h5.test', '127.0.0.7');
          expect(answer).toEqual({ status: 200, body: `hello from ${name}\n` });
        }, 40_000);
      } catch (error) {
        console.log(bridge.dump().slice(-3_000));
        throw error;
      } finally {
        await bridge.kill();
        await containers.removeAll();
      }
    },
  );

  it('TLS-ALPN-01: validated on the TLS port of the edge that did not order; keys sealed in etcd', async () => {
    const sealed = { WHARF_TLS_KEY_FILE: keyFile };
    await startEdge('127.0.0.2', { ...acmeEnv('tls-alpn-01'), ...sealed });
    await startEdge('127.0.0.3', sealed);
    await pebble.resolve('h2.test', '127.0.0.3');
    await putEndpoint(client, layout, 'web2', 'n1:web-2:80', backend.port, {
      routes: [{ host: 'h2.test', pathPrefix: '/', tls: 'auto' }],
    });
    await eventually(async () => {
      expect(await curlHttps('h2.test', '127.0.0.3')).toMatchObject({ status: 200 });
      expect(await curlHttps('h2.test', '127.0.0.2')).toMatchObject({ status: 200 });
    }, 30_000);
    const record = await certificateRecord('h2.test');
    expect(record?.key).toMatchObject({ alg: 'aes-256-gcm' });
    const raw = (await client.get(layout.certificateKey('h2.test')).string()) ?? '';
    expect(raw).not.toContain('PRIVATE KEY');
  });

  it.runIf(controllerOnly)(
    'an edge killed mid-order loses its lock with its lease; another edge finishes',
    async () => {
      await pebble.resolve('h3.test', '127.0.0.5');
      const watcher = await client.watch().prefix(`${layout.acme}challenges/`).create();
      const first = await startEdge('127.0.0.4', acmeEnv('http-01'));
      const challengePut = new Promise<void>((resolve) => watcher.on('put', () => resolve()));
      await putEndpoint(client, layout, 'web3', 'n1:web-3:80', backend.port, {
        routes: [{ host: 'h3.test', pathPrefix: '/', tls: 'auto' }],
      });
      // Mid-order: the challenge is placed, the CA not yet told to validate it.
      await challengePut;
      await first.kill();
      await watcher.cancel();
      const lockKey = layout.acmeKey('locks', 'h3.test');
      expect(await client.get(lockKey).string()).not.toBeNull();
      const second = await startEdge('127.0.0.5', acmeEnv('http-01'));
      await eventually(
        async () => expect(await curlHttps('h3.test', '127.0.0.5')).toMatchObject({ status: 200 }),
        30_000,
      );
      expect(await statusRecord('h3.test')).toMatchObject({
        failures: 0,
        holder: expect.stringContaining(`:${second.child.pid}`),
      });
      expect(await client.get(lockKey).string()).toBeNull();
    },
  );

  it('renews a short-lived certificate before it expires, with no failed request', async () => {
    const edge = await startEdge('127.0.0.6', acmeEnv('http-01'));
    await pebble.resolve('h4.test', '127.0.0.6');
    await putEndpoint(client, layout, 'web4', 'n1:web-4:80', backend.port, {
      routes: [{ host: 'h4.test', pathPrefix: '/', tls: 'auto' }],
    });
    await eventually(async () => expect(await certificateRecord('h4.test')).toBeDefined(), 30_000);
    const first = await certificateRecord('h4.test');
    const seen = new Set<string>();
    // Renewal is what is measured: from the moment the edge serves the first certificate (the
    // HAProxy plane takes it a few milliseconds after the record, through its Runtime API).
    await eventually(async () => seen.add(await servedFingerprint('h4.test', '127.0.0.6')));
    let ok = 0;
    const failures: string[] = [];
    // A new TLS connection per request, so the swap is seen by handshakes as it happens.
    const deadline = Date.parse(first!.notAfter);
    let renewed: string | undefined;
    while (Date.now() < deadline && (renewed === undefined || seen.size < 2)) {
      try {
        seen.add(await servedFingerprint('h4.test', '127.0.0.6'));
        ok += 1;
      } catch (error) {
        failures.push((error as Error).message);
      }
      const current = await certificateRecord('h4.test');
      if (current && current.notAfter !== first?.notAfter) renewed = current.notAfter;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    console.log(
      `renewal: ${ok} requests on new connections, ${failures.length} failed, ${seen.size} certificates seen`,
    );
    expect(renewed).toBeDefined();
    expect(seen.size).toBe(2);
    expect(failures).toEqual([]);
    // The ACME keys under the prefix are neither warned about nor mistaken for a stalled watch
    // (the watcher's probe compares key counts every 10 s; this test outlasts two probes).
    expect(edge.log).not.toMatch(/skipping invalid registry value|etcd watch interrupted/);
  }, 60_000);
});
