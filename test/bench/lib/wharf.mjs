// Starting wharf's own programs from dist/ and writing the records they read.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeRecord, KeyLayout } from '@wharf/core';
import { putAll } from '../../support/etcd-writes.ts';
import { freePort } from '../../support/ports.ts';
import { endpointRecord as buildEndpointRecord } from '../../support/records.ts';
import { get, waitForHttp } from './http.mjs';
import { start } from './processes.mjs';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const edgeMain = join(repoRoot, 'packages/edge/dist/main.js');
export const bridgeMain = join(repoRoot, 'packages/bridge/dist/main.js');
export const PREFIX = '/wharf';
const LAYOUT = new KeyLayout(PREFIX);

export function edgeBuilt() {
  return existsSync(edgeMain);
}

export function bridgeBuilt() {
  return existsSync(bridgeMain);
}

/** An endpoint record as a bridge would write it, for a backend the harness runs. */
export function endpointRecord({ service, id, address = '127.0.0.1', port, hosts, state = 'serving' }) {
  const now = new Date().toISOString();
  return buildEndpointRecord({
    service,
    id,
    address,
    port,
    node: 'bench',
    bridge: 'bench-harness',
    container: { id: '0'.repeat(64), name: id.split(':')[1] ?? 'bench', image: 'bench/backend:1' },
    routes: hosts.map((host) => ({ host, pathPrefix: '/' })),
    state,
    health: { check: 'none', status: 'passing', since: now },
    registeredAt: now,
  });
}

const entry = (record) => ({
  key: LAYOUT.endpointKey(record.service, record.id),
  value: encodeRecord(record),
});

export async function putEndpoint(client, record) {
  const { key, value } = entry(record);
  await client.put(key).value(value);
}

/** Writes many records in transactions (the tests' `putAll`). */
export async function putEndpoints(client, records) {
  await putAll(client, records.map(entry));
}

/**
 * Starts wharf-edge on free loopback ports. `waitReady` polls /readyz; the returned
 * `readyMs` counts from spawn.
 */
export async function startEdge({
  etcd,
  workers = 1,
  cpus,
  logDir,
  waitReady = true,
  env = {},
  nodeArgs = [],
  main = edgeMain,
  name = 'wharf-edge',
}) {
  const port = await freePort();
  const adminPort = await freePort();
  const spawnedAt = performance.now();
  const handle = start(name, process.execPath, [...nodeArgs, main], {
    cpus,
    logDir,
    env: {
      WHARF_ETCD: etcd,
      WHARF_LISTEN: `127.0.0.1:${port}`,
      WHARF_TLS_LISTEN: 'off',
      WHARF_ADMIN_LISTEN: `127.0.0.1:${adminPort}`,
      WHARF_WORKERS: String(workers),
      WHARF_PREFIX: PREFIX,
      LOG_LEVEL: 'warn',
      ...env,
    },
  });
  const edge = {
    handle,
    port,
    adminPort,
    url: `http://127.0.0.1:${port}`,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    readyMs: null,
    stop: () => handle.stop('SIGTERM', 5_000),
  };
  if (waitReady) {
    try {
      await waitForHttp(`${edge.adminUrl}/readyz`, {
        timeoutMs: 30_000,
        intervalMs: 5,
        alive: () => handle.running,
      });
    } catch (error) {
      throw new Error(`wharf-edge did not become ready: ${error.message}\n${handle.log().slice(-2000)}`);
    }
    edge.readyMs = performance.now() - spawnedAt;
  }
  return edge;
}

/** Polls the edge until a request for `host` is answered 2xx; returns ms since `since`. */
export async function waitRoutable(edge, host, since, { agent, path = '/', timeoutMs = 10_000 } = {}) {
  const deadline = since + timeoutMs;
  for (;;) {
    try {
      const response = await get(`${edge.url}${path}`, { host, agent, timeoutMs: 1_000 });
      if (response.status >= 200 && response.status < 300) return performance.now() - since;
    } catch {
      // Keep polling.
    }
    if (performance.now() > deadline) throw new Error(`host ${host} not routable after ${timeoutMs} ms`);
  }
}
