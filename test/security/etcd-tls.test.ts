import { createEtcdClient, KeyLayout, ServiceWatcher } from '@wharf/core';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdServer } from '../support/etcd-server.js';
import { endpointValue } from '../support/records.js';
import { createTestPki, etcdTlsArgs, type TestPki } from '../support/tls.js';
import { eventually } from '../support/wait.js';

const layout = new KeyLayout('/wharf');

describe('etcd over TLS with client certificates (core client and ServiceWatcher)', () => {
  let pki: TestPki;
  let etcd: EtcdServer;

  beforeAll(async () => {
    pki = createTestPki();
    etcd = await EtcdServer.start({
      scheme: 'https',
      args: etcdTlsArgs(pki),
      probe: (endpoint) =>
        createEtcdClient({ endpoints: [endpoint], ca: pki.ca, cert: pki.clientCert, key: pki.clientKey }),
    });
  });
  afterAll(async () => {
    await etcd?.close();
    pki?.close();
  });

  const withClient = async (
    settings: { ca?: string; cert?: string; key?: string },
    use: (client: Etcd3) => Promise<void>,
  ) => {
    const client = createEtcdClient(
      { endpoints: [etcd.endpoint], ...settings },
      { dialTimeoutMs: 1_000, callTimeoutMs: 2_000 },
    );
    try {
      await use(client);
    } finally {
      client.close();
    }
  };

  it('reads, writes and watches with the CA, client certificate and key', async () => {
    await withClient({ ca: pki.ca, cert: pki.clientCert, key: pki.clientKey }, async (client) => {
      const key = layout.endpointKey('tls', 'n1:tls-1:80');
      await client.put(key).value(
        endpointValue({
          service: 'tls',
          id: 'n1:tls-1:80',
          routes: [{ host: 'tls.test', pathPrefix: '/' }],
        }),
      );
      expect(await client.get(key).string()).toContain('"service":"tls"');

      const controller = new AbortController();
      const watcher = new ServiceWatcher({ client, layout, onUpdate: () => {} });
      const running = watcher.run(controller.signal);
      try {
        await eventually(() => expect(watcher.state.endpoints.has(key)).toBe(true));
        await client.delete().key(key);
        await eventually(() => expect(watcher.state.endpoints.has(key)).toBe(false));
      } finally {
        controller.abort();
        await running;
      }
    });
  });

  it('is refused without a client certificate', async () => {
    await withClient({ ca: pki.ca }, async (client) => {
      await expect(client.get('/wharf/x').string()).rejects.toThrow();
    });
  });

  it('is refused with a client certificate from another CA', async () => {
    await withClient({ ca: pki.ca, cert: pki.rogueCert, key: pki.rogueKey }, async (client) => {
      await expect(client.get('/wharf/x').string()).rejects.toThrow();
    });
  });

  it('refuses a server whose certificate the configured CA did not sign', async () => {
    // The rogue "CA" file is the client certificate of another authority: the server is not trusted.
    await withClient({ ca: pki.rogueCert, cert: pki.clientCert, key: pki.clientKey }, async (client) => {
      await expect(client.get('/wharf/x').string()).rejects.toThrow();
    });
  });

  it('is refused in plain text', async () => {
    const client = new Etcd3({ hosts: etcd.endpoint.replace('https:', 'http:'), dialTimeout: 1_000 });
    try {
      await expect(
        client
          .get('/wharf/x')
          .options({ deadline: Date.now() + 2_000 })
          .string(),
      ).rejects.toThrow();
    } finally {
      client.close();
    }
  });
});
