import { createEtcdClient, KeyLayout } from '@wharf/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EtcdUsers, enableLeastPrivilegeAuth, etcdctl } from '../support/etcd-auth.js';
import { EtcdServer } from '../support/etcd-server.js';
import { endpointValue } from '../support/records.js';
import { createTestPki, etcdTlsArgs, type TestPki } from '../support/tls.js';
import { buildCli, runCli } from './support/run-cli.js';

const layout = new KeyLayout('/wharf');
const instance = `secure${process.pid}:web-1:8080`;

/** The CLI's connection flags map onto WHARF_ETCD_* and reach etcd over TLS with auth. */
describe('wharf CLI against etcd with TLS client certificates and authentication', () => {
  let pki: TestPki;
  let etcd: EtcdServer;
  let users: EtcdUsers;
  let tls: string[];

  beforeAll(async () => {
    pki = createTestPki();
    [etcd] = await Promise.all([
      EtcdServer.start({
        scheme: 'https',
        args: etcdTlsArgs(pki),
        probe: (endpoint) =>
          createEtcdClient({ endpoints: [endpoint], ca: pki.ca, cert: pki.clientCert, key: pki.clientKey }),
      }),
      buildCli(),
    ]);
    const certs = [`--cacert=${pki.ca}`, `--cert=${pki.clientCert}`, `--key=${pki.clientKey}`];
    await etcdctl(
      etcd.endpoint,
      [
        'put',
        layout.endpointKey('web', instance),
        endpointValue({
          service: 'web',
          id: instance,
          port: 1001,
          node: 'secure',
          bridge: 'secure-bridge',
          registeredAt: new Date().toISOString(),
        }),
      ],
      certs,
    );
    users = await enableLeastPrivilegeAuthOverTls(etcd.endpoint);
    tls = ['--etcd', etcd.endpoint, '--ca', pki.ca, '--cert', pki.clientCert, '--key', pki.clientKey];
  });
  afterAll(async () => {
    await etcd?.close();
    pki?.close();
  });

  /** The shared helper runs etcdctl without TLS flags; etcdctl also reads them from its environment. */
  async function enableLeastPrivilegeAuthOverTls(endpoint: string): Promise<EtcdUsers> {
    const names = { ETCDCTL_CACERT: pki.ca, ETCDCTL_CERT: pki.clientCert, ETCDCTL_KEY: pki.clientKey };
    Object.assign(process.env, names);
    try {
      return await enableLeastPrivilegeAuth(endpoint);
    } finally {
      for (const name of Object.keys(names)) delete process.env[name];
    }
  }

  it('lists with --ca/--cert/--key and --username/--password', async () => {
    const result = await runCli([
      'ls',
      ...tls,
      '--username',
      users.edge.username,
      '--password',
      users.edge.password,
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(instance);
  });

  it('takes the same settings from WHARF_ETCD_* variables', async () => {
    const result = await runCli(['ls', '--json'], {
      WHARF_ETCD: etcd.endpoint,
      WHARF_ETCD_CA: pki.ca,
      WHARF_ETCD_CERT: pki.clientCert,
      WHARF_ETCD_KEY: pki.clientKey,
      WHARF_ETCD_USERNAME: users.edge.username,
      WHARF_ETCD_PASSWORD: users.edge.password,
    });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)[0].record.id).toBe(instance);
  });

  it('fails with status 2 and says why on a wrong password, a missing client certificate or no permission', async () => {
    const wrongPassword = await runCli([
      'ls',
      ...tls,
      '--username',
      users.edge.username,
      '--password',
      'wrong',
    ]);
    expect(wrongPassword.code).toBe(2);
    expect(wrongPassword.stderr).toMatch(
      new RegExp(`^wharf: cannot list endpoints: etcd at ${etcd.endpoint}: .*authentication failed`, 'i'),
    );

    const noCertificate = await runCli([
      'ls',
      '--etcd',
      etcd.endpoint,
      '--ca',
      pki.ca,
      '--username',
      users.edge.username,
      '--password',
      users.edge.password,
    ]);
    expect(noCertificate.code).toBe(2);
    expect(noCertificate.stderr).toContain(`etcd at ${etcd.endpoint}`);
    expect(noCertificate.ms).toBeLessThan(15_000);

    // The edge's read-only user may look but not drain.
    const drain = await runCli([
      'drain',
      instance,
      ...tls,
      '--username',
      users.edge.username,
      '--password',
      users.edge.password,
    ]);
    expect(drain.code).toBe(2);
    expect(drain.stderr).toMatch(/^wharf: cannot write the drain: .*permission denied/i);
  });

  it('refuses --cert without --key in one line', async () => {
    const result = await runCli(['ls', '--etcd', etcd.endpoint, '--cert', pki.clientCert]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'wharf: WHARF_ETCD_KEY="" is invalid: expected both WHARF_ETCD_CERT and WHARF_ETCD_KEY, or neither\n',
    );
  });
});
