import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** PEM file paths for one certificate authority and the certificates it signed. */
export interface TestPki {
  readonly dir: string;
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** A client certificate and key from a different CA, which the server must refuse. */
  readonly rogueCert: string;
  readonly rogueKey: string;
  /** Removes every file. Idempotent. */
  close(): void;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function authority(dir: string, name: string): void {
  openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
  ]);
}

function leaf(dir: string, ca: string, name: string, extensions: string): void {
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(dir, [
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-subj',
    `/CN=${name}`,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
  ]);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.crt`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    `${name}.ext`,
    '-out',
    `${name}.crt`,
  ]);
}

/**
 * Generates, with the openssl command line, a throwaway CA, a server certificate for 127.0.0.1
 * and localhost, a client certificate, and a client certificate from an unrelated CA.
 */
export function createTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-pki-'));
  authority(dir, 'ca');
  authority(dir, 'rogue-ca');
  leaf(
    dir,
    'ca',
    'server',
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n',
  );
  leaf(dir, 'ca', 'client', 'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n');
  leaf(dir, 'rogue-ca', 'rogue', 'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n');
  const path = (file: string) => join(dir, file);
  return {
    dir,
    ca: path('ca.crt'),
    serverCert: path('server.crt'),
    serverKey: path('server.key'),
    clientCert: path('client.crt'),
    clientKey: path('client.key'),
    rogueCert: path('rogue.crt'),
    rogueKey: path('rogue.key'),
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** etcd flags that serve clients over TLS and require a client certificate signed by the CA. */
export function etcdTlsArgs(pki: TestPki): string[] {
  return [
    `--cert-file=${pki.serverCert}`,
    `--key-file=${pki.serverKey}`,
    `--trusted-ca-file=${pki.ca}`,
    '--client-cert-auth=true',
  ];
}

export interface TestCertificateAuthority {
  readonly dir: string;
  /** Path of the CA certificate (PEM): what clients trust. */
  readonly ca: string;
  /**
   * Issues a server certificate for `domains` (DNS names, wildcards allowed, or IP addresses) and returns the paths
   * of its certificate and key, named `<name>.crt` and `<name>.key` in `dir`.
   */
  issue(name: string, domains: readonly string[]): { readonly cert: string; readonly key: string };
  /** Removes every file. Idempotent. */
  close(): void;
}

/** A throwaway CA (openssl command line) that issues server certificates on demand. */
export function createTestCertificateAuthority(): TestCertificateAuthority {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-ca-'));
  authority(dir, 'ca');
  return {
    dir,
    ca: join(dir, 'ca.crt'),
    issue(name, domains) {
      const names = domains.map((domain) => `${isIP(domain) ? 'IP' : 'DNS'}:${domain}`).join(',');
      leaf(
        dir,
        'ca',
        name,
        `subjectAltName=${names}\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n`,
      );
      return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
    },
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}
