import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { createTestCertificateAuthority, type TestCertificateAuthority } from './tls.js';
import { eventually } from './wait.js';

export interface PebbleOptions {
  /** Port the CA validates HTTP-01 on (the edges' plain listener). */
  readonly httpPort: number;
  /** Port the CA validates TLS-ALPN-01 on (the edges' TLS listener). */
  readonly tlsPort: number;
  /** Lifetime of the certificates it issues, in seconds (Pebble's default is five years). */
  readonly validitySeconds?: number;
}

/**
 * Let's Encrypt's test CA, Pebble, with its companion DNS server (pebble-challtestsrv), both from
 * Debian, on loopback: the CA resolves every name through that DNS server, whose answers a test
 * sets with `resolve(host, address)` — so the CA validates against whichever edge (loopback
 * address) the test picks.
 */
export class Pebble {
  readonly directory: string;
  /** PEM file: the CA of Pebble's own API certificate (`WHARF_ACME_CA`). */
  readonly apiCa: string;
  readonly #children: ChildProcess[];
  readonly #authority: TestCertificateAuthority;
  readonly #managementPort: number;
  readonly #dnsManagementPort: number;
  log = '';

  private constructor(
    authority: TestCertificateAuthority,
    children: ChildProcess[],
    ports: { api: number; management: number; dnsManagement: number },
  ) {
    this.#authority = authority;
    this.#children = children;
    this.apiCa = authority.ca;
    this.directory = `https://127.0.0.1:${ports.api}/dir`;
    this.#managementPort = ports.management;
    this.#dnsManagementPort = ports.dnsManagement;
    for (const child of children) {
      const append = (chunk: Buffer) => {
        this.log = (this.log + chunk.toString()).slice(-50_000);
      };
      child.stdout?.on('data', append);
      child.stderr?.on('data', append);
    }
  }

  static async start(options: PebbleOptions): Promise<Pebble> {
    const authority = createTestCertificateAuthority();
    const api = authority.issue('pebble', ['127.0.0.1', 'localhost']);
    const [apiPort, managementPort, dnsPort, dnsManagementPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const config = join(authority.dir, 'pebble.json');
    writeFileSync(
      config,
      JSON.stringify({
        pebble: {
          listenAddress: `127.0.0.1:${apiPort}`,
          managementListenAddress: `127.0.0.1:${managementPort}`,
          certificate: api.cert,
          privateKey: api.key,
          httpPort: options.httpPort,
          tlsPort: options.tlsPort,
          ocspResponderURL: '',
          externalAccountBindingRequired: false,
          ...(options.validitySeconds ? { certificateValidityPeriod: options.validitySeconds } : {}),
        },
      }),
    );
    const children = [
      spawn(
        'pebble-challtestsrv',
        [
          '-dns01',
          `127.0.0.1:${dnsPort}`,
          '-http01',
          '',
          '-https01',
          '',
          '-tlsalpn01',
          '',
          '-management',
          `127.0.0.1:${dnsManagementPort}`,
          '-defaultIPv4',
          '127.0.0.1',
          '-defaultIPv6',
          '',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      ),
      spawn('pebble', ['-config', config, '-dnsserver', `127.0.0.1:${dnsPort}`], {
        stdio: ['ignore', 'pipe', 'pipe'],
        // No random validation delays, no rejected nonces: fast and deterministic.
        env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0' },
      }),
    ];
    const pebble = new Pebble(authority, children, {
      api: apiPort,
      management: managementPort,
      dnsManagement: dnsManagementPort,
    });
    try {
      await eventually(async () => {
        const response = await pebble.#get(pebble.directory);
        if (response.status !== 200) throw new Error(`pebble answered ${response.status}`);
      }, 20_000);
      await eventually(async () => {
        await fetch(`http://127.0.0.1:${dnsManagementPort}/`);
      }, 20_000);
    } catch (error) {
      await pebble.close();
      throw new Error(`pebble did not start: ${(error as Error).message}\n${pebble.log}`);
    }
    return pebble;
  }

  /** GET over HTTPS, trusting Pebble's API certificate. */
  #get(url: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      httpsGet(url, { ca: readFileSync(this.apiCa) }, (res) => {
        let body = '';
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      }).on('error', reject);
    });
  }

  /** The root that signs the certificates Pebble issues (PEM): what clients verify against. */
  async root(): Promise<string> {
    const response = await this.#get(`https://127.0.0.1:${this.#managementPort}/roots/0`);
    if (response.status !== 200) throw new Error(`pebble roots: ${response.status}`);
    return response.body;
  }

  /** Makes Pebble resolve `host` to `address` (an A record in its DNS server). */
  async resolve(host: string, address: string): Promise<void> {
    const response = await fetch(`http://127.0.0.1:${this.#dnsManagementPort}/add-a`, {
      method: 'POST',
      body: JSON.stringify({ host: `${host}.`, addresses: [address] }),
    });
    if (response.status !== 200) throw new Error(`add-a ${host}: ${response.status}`);
  }

  async close(): Promise<void> {
    await Promise.all(
      this.#children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
    this.#authority.close();
  }
}
