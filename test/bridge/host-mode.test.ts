import { encodeRecord } from '@wharf/core';
import { describe, expect, it } from 'vitest';
import type { EtcdServer } from '../support/etcd-server.js';
import { drainRecord } from '../support/records.js';
import { eventually } from '../support/wait.js';
import { useBridgeRig } from './support/bridge-rig.js';
import type { RegistryProbe } from './support/registry.js';

const run = `${process.pid}`;
const node = `host-${run}`;
const service = `fleet-${run}`;

describe('wharf-bridge in host mode', () => {
  let _etcd: EtcdServer;
  let registry: RegistryProbe;
  const { containers, startBridge } = useBridgeRig({
    node,
    ttl: '5s',
    onStart: (started) => {
      _etcd = started.etcd;
      registry = started.registry;
    },
  });

  it('registers 20 labelled containers, skips unlabelled and ignored ones, follows removals', async () => {
    const names = Array.from({ length: 20 }, (_, index) => `wharf-fleet-${run}-${index}`);
    const labels = { 'wharf.service': service, 'wharf.check': 'http:/health', 'wharf.check.interval': '1s' };
    // Half before the bridge starts (found by the listing), half after (found by events).
    await Promise.all(names.slice(0, 10).map((name) => containers.start(name, { labels })));
    await containers.start(`wharf-fleet-${run}-plain`);
    await containers.start(`wharf-fleet-${run}-ignored`, { labels: { ...labels, 'wharf.ignore': 'true' } });
    const bridge = startBridge();
    await Promise.all(names.slice(10).map((name) => containers.start(name, { labels })));

    const ports = new Map(
      await Promise.all(names.map(async (name) => [name, await containers.hostPort(name)] as const)),
    );
    await eventually(async () => {
      const records = await registry.all(`/wharf/services/${service}/`);
      expect(records.size).toBe(20);
    }, 30_000);
    const records = await registry.all(`/wharf/services/${service}/`);
    for (const name of names) {
      const record = records.get(`/wharf/services/${service}/${node}:${name}:8080`);
      expect(record).toMatchObject({
        address: '127.0.0.1',
        port: ports.get(name),
        state: 'serving',
        bridge: `${node}-bridge`,
      });
    }
    expect([...(await registry.all('/wharf/services/')).keys()].some((key) => key.includes('-plain:'))).toBe(
      false,
    );
    expect(
      [...(await registry.all('/wharf/services/')).keys()].some((key) => key.includes('-ignored:')),
    ).toBe(false);

    await Promise.all(names.slice(0, 5).map((name) => containers.remove(name)));
    await eventually(
      async () => expect((await registry.all(`/wharf/services/${service}/`)).size).toBe(15),
      15_000,
    );
    expect(bridge.running).toBe(true);
  });

  it('an operator drain key turns the endpoint draining until it is removed', async () => {
    const name = `wharf-drain-${run}`;
    await containers.start(name, {
      labels: { 'wharf.service': service, 'wharf.check': 'tcp', 'wharf.check.interval': '500ms' },
    });
    startBridge();
    const id = `${node}:${name}:8080`;
    const key = `/wharf/services/${service}/${id}`;
    await eventually(async () => expect((await registry.record(key))?.state).toBe('serving'));
    await registry.client
      .put(`/wharf/drains/${id}`)
      .value(encodeRecord(drainRecord({ service, at: new Date().toISOString() })));
    await eventually(async () => expect((await registry.record(key))?.state).toBe('draining'));
    await registry.client.delete().key(`/wharf/drains/${id}`).exec();
    await eventually(async () => expect((await registry.record(key))?.state).toBe('serving'));
  });

  it('the docker check follows the container HEALTHCHECK', async () => {
    const name = `wharf-docker-check-${run}`;
    await containers.start(name, {
      labels: { 'wharf.service': service, 'wharf.check': 'docker' },
      healthIntervalMs: 500,
    });
    startBridge();
    const key = `/wharf/services/${service}/${node}:${name}:8080`;
    await eventually(
      async () => expect((await registry.record(key))?.health?.check).toBe('docker HEALTHCHECK'),
      15_000,
    );
    const port = await containers.hostPort(name);
    await fetch(`http://127.0.0.1:${port}/health/fail`, { method: 'POST' });
    await eventually(async () => expect(await registry.record(key)).toBeUndefined(), 15_000);
    await fetch(`http://127.0.0.1:${port}/health/pass`, { method: 'POST' });
    await eventually(async () => expect(await registry.record(key)).toBeDefined(), 15_000);
  });

  it('WHARF_EXPLICIT=false registers unlabelled containers under the image name', async () => {
    const name = `wharf-implicit-${run}`;
    await containers.start(name);
    startBridge({ WHARF_EXPLICIT: 'false' });
    await eventually(async () =>
      expect((await registry.record(`/wharf/services/demo/${node}:${name}:8080`))?.state).toBe('serving'),
    );
  });
});
