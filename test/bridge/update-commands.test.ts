import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { encodeRecord, KeyLayout } from '@wharf/core';
import { describe, expect, it } from 'vitest';
import { eventually } from '../support/wait.js';
import { useBridgeRig } from './support/bridge-rig.js';
import type { RegistryProbe } from './support/registry.js';

const execFileAsync = promisify(execFile);
const run = `${process.pid}`;
const node = `upd-${run}`;
const db = `db-${run}`;
const layout = new KeyLayout('/wharf');
/** The variable the commands get for `db` (WHARF_<SERVICE>_ADDRS: `db-123` → WHARF_DB_123_ADDRS). */
const dbVariable = `WHARF_DB_${run}_ADDRS`;

/** Appends what the command was told to a file in the container, one line per run. */
const RECORD_RUN = `echo "changed=$WHARF_CHANGED ${dbVariable}=$${dbVariable}" >> /tmp/updates`;

async function runsIn(container: string): Promise<string[]> {
  try {
    const { stdout } = await execFileAsync('docker', ['exec', container, 'cat', '/tmp/updates']);
    return stdout.split('\n').filter(Boolean);
  } catch {
    return []; // no run yet: the file does not exist
  }
}

function dbRecord(id: string, address: string, port: number, state = 'serving') {
  return encodeRecord({
    v: 1,
    service: db,
    id,
    address,
    port,
    protocol: 'tcp',
    node: 'elsewhere',
    bridge: 'elsewhere-bridge',
    tags: [],
    weight: 1,
    routes: [],
    state,
    registeredAt: new Date().toISOString(),
  });
}

describe('update commands (wharf.requires + wharf.on-change), run by a real bridge with docker exec', () => {
  let registry: RegistryProbe;
  const { containers, startBridge } = useBridgeRig({
    node,
    ttl: '5s',
    onStart: (started) => {
      registry = started.registry;
    },
  });
  const putDb = (id: string, address: string, port: number, state = 'serving') =>
    registry.client.put(layout.endpointKey(db, id)).value(dbRecord(id, address, port, state));

  it('tells consuming containers at start and on every change of the serving set; failing and hanging commands are logged and hold up no one', async () => {
    await putDb('elsewhere:db-1:5432', '10.0.0.5', 32768);
    const consumer = `wharf-upd-${run}-consumer`;
    const failing = `wharf-upd-${run}-failing`;
    const hanging = `wharf-upd-${run}-hanging`;
    const requires = { 'wharf.requires': db };
    await Promise.all([
      containers.start(consumer, { publish: [], labels: { ...requires, 'wharf.on-change': RECORD_RUN } }),
      containers.start(failing, {
        publish: [],
        labels: { ...requires, 'wharf.on-change': 'echo "cannot reload" >&2; exit 3' },
      }),
      containers.start(hanging, {
        publish: [],
        labels: {
          ...requires,
          'wharf.on-change': `${RECORD_RUN}; sleep 30`,
          'wharf.on-change.timeout': '1s',
        },
      }),
      containers.start(`wharf-upd-${run}-bad`, {
        publish: [],
        labels: { 'wharf.requires': 'not/a/service', 'wharf.on-change': 'true' },
      }),
    ]);
    const bridge = startBridge();
    await eventually(async () => {
      expect(await runsIn(consumer)).toEqual([`changed=${db} ${dbVariable}=10.0.0.5:32768`]);
      expect(bridge.find('update command failed', { container: failing })[0]).toMatchObject({
        exitCode: 3,
        output: 'cannot reload\n',
      });
      expect(
        bridge.find('update command timed out; left running in the container', { container: hanging }),
      ).toHaveLength(1);
      expect(bridge.find('update command not set up: invalid label')).toHaveLength(1);
    }, 20_000);
    // A second serving endpoint: every command runs again, the failed and the hung one included.
    await putDb('elsewhere:db-2:5432', '10.0.0.6', 32768);
    await eventually(async () => {
      expect((await runsIn(consumer)).at(-1)).toBe(
        `changed=${db} ${dbVariable}=10.0.0.5:32768,10.0.0.6:32768`,
      );
      expect(bridge.find('update command failed', { container: failing })).toHaveLength(2);
      expect(await runsIn(hanging)).toHaveLength(2);
    }, 15_000);
    // The first drains (its container is stopping), then an operator drains the second.
    await putDb('elsewhere:db-1:5432', '10.0.0.5', 32768, 'draining');
    await eventually(async () =>
      expect((await runsIn(consumer)).at(-1)).toBe(`changed=${db} ${dbVariable}=10.0.0.6:32768`),
    );
    await registry.client
      .put(layout.drainKey('elsewhere:db-2:5432'))
      .value(encodeRecord({ v: 1, service: db, at: new Date().toISOString() }));
    await eventually(async () =>
      expect((await runsIn(consumer)).at(-1)).toBe(`changed=${db} ${dbVariable}=`),
    );
    expect(await runsIn(consumer)).toHaveLength(4);
    expect(bridge.find('update command ran', { container: consumer })).toHaveLength(4);
    expect(bridge.find('update command not set up: invalid label')).toHaveLength(1);
  });

  it('runs the first time only once a publishing container is registered', async () => {
    await putDb('elsewhere:db-1:5432', '10.0.0.5', 32768);
    const web = `wharf-upd-${run}-web`;
    const consumer = `wharf-upd-${run}-witness`;
    const labels = { 'wharf.requires': db, 'wharf.on-change': RECORD_RUN };
    await containers.start(web, {
      labels: {
        ...labels,
        'wharf.service': `web-${run}`,
        'wharf.check': 'http:/health',
        'wharf.check.interval': '500ms',
      },
    });
    // Its health check fails until told otherwise: it is not registered.
    await execFileAsync('docker', [
      'exec',
      web,
      'node',
      '-e',
      "fetch('http://127.0.0.1:8080/health/fail',{method:'POST'})",
    ]);
    await containers.start(consumer, { publish: [], labels });
    startBridge();
    // The consumer's first run shows the bridge had the set; the unregistered web got none.
    await eventually(async () => expect(await runsIn(consumer)).toHaveLength(1), 20_000);
    expect(await runsIn(web)).toEqual([]);
    expect(await registry.keysOf(`${node}-bridge`, `web-${run}`)).toEqual([]);
    await execFileAsync('docker', [
      'exec',
      web,
      'node',
      '-e',
      "fetch('http://127.0.0.1:8080/health/pass',{method:'POST'})",
    ]);
    await eventually(
      async () => expect(await runsIn(web)).toEqual([`changed=${db} ${dbVariable}=10.0.0.5:32768`]),
      15_000,
    );
    expect(await registry.keysOf(`${node}-bridge`, `web-${run}`)).toHaveLength(1);
  });
});
