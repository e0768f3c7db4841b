import { createEtcdClient, type EtcdConfig, KeyLayout } from '@wharf/core';
import type { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeProcess } from '../bridge/support/bridge-process.js';
import { DemoContainers } from '../bridge/support/demo-containers.js';
import { runCli } from '../cli/support/run-cli.js';
import { get, putEndpoint, TestBackend } from '../edge/support/backends.js';
import { EdgeProcess } from '../edge/support/edge-process.js';
import { type EtcdUsers, enableLeastPrivilegeAuth } from '../support/etcd-auth.js';
import { EtcdServer } from '../support/etcd-server.js';
import { createTestPki, etcdTlsArgs, type TestPki } from '../support/tls.js';
import { eventually } from '../support/wait.js';

const run = `${process.pid}`;
const layout = new KeyLayout('/wharf');

/**
 * Runs the three programs (edge, bridge and CLI, as child processes from dist/) against a secured
 * etcd with the given WHARF_ETCD_* settings and checks each one works; `expectWorking` false
 * checks each one fails clearly instead.
 */
async function exercisePrograms(options: {
  readonly etcd: string;
  readonly admin: Etcd3;
  readonly edgeEnv: Record<string, string>;
  readonly bridgeEnv: Record<string, string>;
  readonly cliEnv: Record<string, string>;
  readonly tag: string;
  readonly containers: DemoContainers;
}) {
  const backend = await TestBackend.start(`secure-${options.tag}`);
  const edge = await EdgeProcess.start({ etcd: options.etcd, prefix: '/wharf', env: options.edgeEnv });
  const service = `secure-${options.tag}-${run}`;
  const node = `secure-${options.tag}-${run}`;
  const container = `wharf-secure-${options.tag}-${run}`;
  let bridge: BridgeProcess | undefined;
  try {
    // Edge: syncs (ready above) and routes what an operator writes.
    await putEndpoint(options.admin, layout, 'secure', `n1:${options.tag}:80`, backend.port, {
      host: `${options.tag}.secure.test`,
    });
    await eventually(async () =>
      expect((await get(edge.url, `${options.tag}.secure.test`)).status).toBe(200),
    );

    // CLI: lists it.
    const listed = await runCli(['ls', '--json'], { WHARF_ETCD: options.etcd, ...options.cliEnv });
    expect(listed.stderr).toBe('');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(`n1:${options.tag}:80`);

    // Bridge: registers a real container under its lease.
    await options.containers.start(container, {
      labels: { 'wharf.service': service, 'wharf.check': 'tcp', 'wharf.http.host': `${service}.test` },
    });
    bridge = new BridgeProcess({
      WHARF_ETCD: options.etcd,
      WHARF_NODE: node,
      WHARF_HOST_IP: '127.0.0.1',
      WHARF_TTL: '3s',
      ...options.bridgeEnv,
    });
    const key = `/wharf/services/${service}/${node}:${container}:8080`;
    await eventually(
      async () => expect(await options.admin.get(key).string()).toContain('"serving"'),
      20_000,
    );
    // ...which the edge routes.
    await eventually(async () => expect((await get(edge.url, `${service}.test`)).status).toBe(200));
    // SIGTERM revokes the lease: with the bridge role that must be permitted too.
    expect((await bridge.kill('SIGTERM')).code).toBe(0);
    expect(await options.admin.get(key).string()).toBeNull();
  } catch (error) {
    console.error(edge.log, bridge?.dump());
    throw error;
  } finally {
    await bridge?.kill('SIGKILL');
    await edge.kill();
    await backend.close();
    await options.containers.remove(container);
  }
}

/** Checks that the edge, bridge and CLI refuse to work with bad credentials, and say why. */
async function expectProgramsRefused(options: {
  readonly etcd: string;
  readonly env: Record<string, string>;
  readonly reason: RegExp;
}) {
  const cli = await runCli(['ls'], { WHARF_ETCD: options.etcd, ...options.env });
  expect(cli.code).not.toBe(0);
  expect(cli.stderr).toMatch(options.reason);

  const edge = await EdgeProcess.start({
    etcd: options.etcd,
    prefix: '/wharf',
    env: options.env,
    waitReady: false,
  });
  try {
    await eventually(() => expect(edge.log).toMatch(options.reason), 15_000);
    expect((await fetch(`${edge.adminUrl}/readyz`)).status).toBe(503);
  } finally {
    await edge.kill();
  }

  const bridge = new BridgeProcess({
    WHARF_ETCD: options.etcd,
    WHARF_NODE: `refused-${run}`,
    WHARF_HOST_IP: '127.0.0.1',
    ...options.env,
  });
  try {
    await eventually(() => expect(bridge.dump()).toMatch(options.reason), 15_000);
  } finally {
    await bridge.kill('SIGKILL');
  }
}

describe('edge, bridge and CLI against etcd over TLS with client certificates', () => {
  let pki: TestPki;
  let etcd: EtcdServer;
  let admin: Etcd3;
  const containers = new DemoContainers();

  beforeAll(async () => {
    pki = createTestPki();
    const tls = (endpoint: string): EtcdConfig => ({
      endpoints: [endpoint],
      ca: pki.ca,
      cert: pki.clientCert,
      key: pki.clientKey,
    });
    etcd = await EtcdServer.start({
      scheme: 'https',
      args: etcdTlsArgs(pki),
      probe: (endpoint) => createEtcdClient(tls(endpoint)),
    });
    admin = createEtcdClient(tls(etcd.endpoint));
  });
  afterAll(async () => {
    admin?.close();
    await containers.removeAll();
    await etcd?.close();
    pki?.close();
  });

  it('all three work with WHARF_ETCD_CA, WHARF_ETCD_CERT and WHARF_ETCD_KEY', async () => {
    const env = { WHARF_ETCD_CA: pki.ca, WHARF_ETCD_CERT: pki.clientCert, WHARF_ETCD_KEY: pki.clientKey };
    await exercisePrograms({
      etcd: etcd.endpoint,
      admin,
      edgeEnv: env,
      bridgeEnv: env,
      cliEnv: env,
      tag: 'tls',
      containers,
    });
  });

  it('all three fail clearly with a certificate from another CA', async () => {
    await expectProgramsRefused({
      etcd: etcd.endpoint,
      env: { WHARF_ETCD_CA: pki.ca, WHARF_ETCD_CERT: pki.rogueCert, WHARF_ETCD_KEY: pki.rogueKey },
      reason: /bad certificate/i,
    });
  });

  it('a missing certificate file stops each program at start, naming the variable', async () => {
    const env = { WHARF_ETCD: etcd.endpoint, WHARF_ETCD_CA: `${pki.dir}/missing.pem` };
    const cli = await runCli(['ls'], env);
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toMatch(/WHARF_ETCD_CA/);
    const edge = await EdgeProcess.start({ etcd: etcd.endpoint, prefix: '/wharf', env, waitReady: false });
    expect(await edge.exited).not.toBe(0);
    expect(edge.log).toMatch(/WHARF_ETCD_CA/);
    const bridge = new BridgeProcess(env);
    expect((await bridge.exited).code).not.toBe(0);
    expect(bridge.dump()).toMatch(/WHARF_ETCD_CA/);
  });
});

describe('edge, bridge and CLI against etcd with username/password and least-privilege roles', () => {
  let etcd: EtcdServer;
  let users: EtcdUsers;
  let admin: Etcd3;
  const containers = new DemoContainers();

  beforeAll(async () => {
    etcd = await EtcdServer.start();
    users = await enableLeastPrivilegeAuth(etcd.endpoint);
    admin = createEtcdClient({ endpoints: [etcd.endpoint], ...users.root });
  });
  afterAll(async () => {
    admin?.close();
    await containers.removeAll();
    await etcd?.close();
  });

  const credentials = (user: { username: string; password: string }) => ({
    WHARF_ETCD_USERNAME: user.username,
    WHARF_ETCD_PASSWORD: user.password,
  });

  it('the edge and CLI work with the read-only role, the bridge with the bridge role', async () => {
    await exercisePrograms({
      etcd: etcd.endpoint,
      admin,
      edgeEnv: credentials(users.edge),
      bridgeEnv: credentials(users.bridge),
      cliEnv: credentials(users.edge),
      tag: 'auth',
      containers,
    });
  });

  it('the read-only role cannot drain: the CLI says permission denied', async () => {
    const drained = await runCli(['drain', `n1:auth:80`], {
      WHARF_ETCD: etcd.endpoint,
      ...credentials(users.edge),
    });
    expect(drained.code).not.toBe(0);
    expect(drained.stderr).toMatch(/permission denied/i);
  });

  it('all three fail clearly with a wrong password', async () => {
    await expectProgramsRefused({
      etcd: etcd.endpoint,
      env: { WHARF_ETCD_USERNAME: users.edge.username, WHARF_ETCD_PASSWORD: 'wrong' },
      reason: /authentication failed/i,
    });
  });
});
