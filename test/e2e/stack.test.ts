import { execFile, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.js';
import { SteadyLoad } from '../support/steady-load.js';
import { eventually } from '../support/wait.js';

// The demo stack exactly as a user starts it: `./run.sh up`, `scale`, `down`, against the real
// Docker Engine. Container, network and volume names are fixed by run.sh (one stack per
// machine); the published ports are free ones picked here so nothing else on the machine
// collides with them.

const root = fileURLToPath(new URL('../../', import.meta.url));
const logPath = fileURLToPath(new URL('../artifacts/e2e-stack.log', import.meta.url));
const run = promisify(execFile);

const DEMO_HOST = 'demo.localhost';
const STACK_LABEL = 'wharf.stack=demo';
const ETCD = 'wharf-etcd';
// The bridge's lease TTL (WHARF_TTL default; run.sh does not set it).
const TTL_MS = 10_000;
// etcd expires leases on a 500 ms tick and then commits the revoke; a loaded machine adds more.
const TTL_SLACK_MS = 3_000;

let ports: { http: number; admin: number; etcd: number };
let log: WriteStream;

/** Runs `./run.sh ARGS` with the test's ports; output goes to the log; rejects with its tail. */
function runScript(args: string[], timeoutMs = 240_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    log.write(`\n$ ./run.sh ${args.join(' ')}\n`);
    const child = spawn('bash', ['run.sh', ...args], {
      cwd: root,
      env: {
        ...process.env,
        HTTP_PORT: String(ports.http),
        ADMIN_PORT: String(ports.admin),
        ETCD_PORT: String(ports.etcd),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      log.write(chunk);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      log.write(`# ./run.sh ${args.join(' ')}: exit ${code ?? signal} after ${seconds}s\n`);
      if (code === 0) resolve(output);
      else {
        reject(
          new Error(
            `./run.sh ${args.join(' ')} failed (${code ?? signal}) after ${seconds}s; full log: ${logPath}\n` +
              output.split('\n').slice(-40).join('\n'),
          ),
        );
      }
    });
  });
}

async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run('docker', args, { maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

/** One GET / through the edge: who answered, as the header and the body say. */
function getThroughEdge(host = DEMO_HOST): Promise<{ status: number; instance?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: ports.http,
        path: '/',
        headers: { host },
        agent: false,
        timeout: 5_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => {
          const header = res.headers['x-instance'];
          resolve({
            status: res.statusCode ?? 0,
            instance: typeof header === 'string' ? header : undefined,
            body,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** The instances answering over `requests` sequential requests; every answer must be 200. */
async function servedInstances(requests: number): Promise<string[]> {
  const seen = new Set<string>();
  for (let i = 0; i < requests; i += 1) {
    const answer = await getThroughEdge();
    expect(answer.status, answer.body).toBe(200);
    expect(answer.body).toBe(`hello from ${answer.instance}\n`);
    if (answer.instance) seen.add(answer.instance);
  }
  return [...seen].sort();
}

function instances(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `demo-${i + 1}`).sort();
}

/** etcd's view, read with etcdctl inside the etcd container: key → raw value. */
async function etcdEntries(prefix: string): Promise<Map<string, string>> {
  const output = await docker('exec', ETCD, 'etcdctl', 'get', '--prefix', prefix);
  const lines = output.split('\n');
  if (lines.at(-1) === '') lines.pop();
  expect(lines.length % 2, `etcdctl printed an odd number of lines:\n${output}`).toBe(0);
  const entries = new Map<string, string>();
  for (let i = 0; i < lines.length; i += 2) entries.set(lines[i] as string, lines[i + 1] as string);
  return entries;
}

/** Names of the demo endpoint keys' containers, from `<node>:<container>:<port>` ids. */
async function registeredContainers(): Promise<string[]> {
  const entries = await etcdEntries('/wharf/services/demo/');
  return [...entries.keys()].map((key) => key.split(':').at(-2) as string).sort();
}

/** Containers behind demo.localhost in the edge's route table (admin listener, /routes). */
async function routedContainers(): Promise<string[]> {
  const response = await fetch(`http://127.0.0.1:${ports.admin}/routes`);
  expect(response.status).toBe(200);
  const body = (await response.json()) as {
    table: { hosts: { host: string; routes: { endpoints: { id: string; state: string }[] }[] }[] };
  };
  const host = body.table.hosts.find((entry) => entry.host === DEMO_HOST);
  return (host?.routes ?? [])
    .flatMap((route) => route.endpoints)
    .filter((endpoint) => endpoint.state === 'serving')
    .map((endpoint) => endpoint.id.split(':').at(-2) as string)
    .sort();
}

describe('demo stack: ./run.sh up, scale, down', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    mkdirSync(fileURLToPath(new URL('../artifacts/', import.meta.url)), { recursive: true });
    log = createWriteStream(logPath);
    ports = { http: await freePort(), admin: await freePort(), etcd: await freePort() };
    log.write(`ports: ${JSON.stringify(ports)}\n`);
    // Start from nothing: a stack left over from earlier would decide how many apps `up` starts.
    await runScript(['down']);
    await runScript(['up']);
  }, 600_000);

  afterAll(async () => {
    try {
      await runScript(['down']);
    } finally {
      await new Promise((resolve) => log.end(resolve));
    }
  }, 180_000);

  it('routes demo.localhost to both demo apps', async () => {
    expect(await servedInstances(8)).toEqual(instances(2));
  });

  it('answers shop.localhost through the three-tier demo, each tier found through wharf', async () => {
    const answer = await getThroughEdge('shop.localhost');
    expect(answer.status, answer.body).toBe(200);
    expect(answer.body).toMatch(
      /^client client-1 → service service-[12]: hit \d+ \(memcached [\d.]+:11211\)\n$/,
    );
  });

  it('fails no request while a demo app is stopped under steady load, and serves it again after start', async () => {
    // Two loops, each ~50 ms apart: a steady 30-40 requests/s, not a flood on two cores.
    const load = SteadyLoad.start({
      url: `http://127.0.0.1:${ports.http}`,
      host: DEMO_HOST,
      concurrency: 2,
      pauseMs: 50,
    });
    let stoppedAt = 0;
    let report: Awaited<ReturnType<typeof load.stop>>;
    try {
      await eventually(() => expect(load.sent).toBeGreaterThan(40), 30_000);
      const started = Date.now();
      await docker('stop', '-t', '15', 'wharf-demo-1');
      stoppedAt = Date.now();
      log.write(`# docker stop wharf-demo-1 took ${stoppedAt - started} ms\n`);
      // Keep the load on the remaining app for a while after the stopped one exited.
      const until = load.sent + 60;
      await eventually(() => expect(load.sent).toBeGreaterThan(until), 30_000);
    } finally {
      report = await load.stop();
    }
    log.write(`# load during docker stop: ${JSON.stringify(report)}\n`);
    expect(report.failures, report.samples.join('\n')).toEqual({});
    expect(report.failed).toBe(0);
    expect(Object.keys(report.servedBy).sort()).toEqual(instances(2));
    // Once stopped, only demo-2 answers, and its endpoint key is gone.
    expect(await servedInstances(6)).toEqual(['demo-2']);
    await eventually(async () => expect(await registeredContainers()).toEqual(['wharf-demo-2']), 15_000);

    await docker('start', 'wharf-demo-1');
    await eventually(async () => expect(await servedInstances(6)).toEqual(instances(2)), 60_000);
  });

  it('scales to four demo apps with ./run.sh scale 4', async () => {
    await runScript(['scale', '4']);
    expect(await servedInstances(16)).toEqual(instances(4));
    const all = ['wharf-demo-1', 'wharf-demo-2', 'wharf-demo-3', 'wharf-demo-4'];
    expect(await registeredContainers()).toEqual(all);
    expect(await routedContainers()).toEqual(all);
    // `status` lists the stack's containers and what etcd holds for them.
    const status = await runScript(['status']);
    for (const name of all) {
      expect(status).toMatch(new RegExp(`^${name}-bridge\\s+wharf/bridge\\s+Up`, 'm'));
      expect(status).toMatch(new RegExp(`^  /wharf/services/demo/[^\\s]*:${name}:8080$`, 'm'));
    }
  });

  it('drops the endpoint of a SIGKILLed bridge within its lease TTL', async () => {
    const bridges = await etcdEntries('/wharf/bridges/');
    const bridgeKeys = [...bridges.entries()]
      .filter(([, value]) => (JSON.parse(value) as { target?: string }).target === 'wharf-demo-3')
      .map(([key]) => key);
    expect(bridgeKeys, JSON.stringify([...bridges])).toHaveLength(1);

    const killedAt = Date.now();
    await docker('kill', '-s', 'KILL', 'wharf-demo-3-bridge');
    // The app itself keeps running; only its registration must go. Watched side by side:
    // etcd (etcdctl), the edge's route table (admin /routes) and what the edge answers from.
    const [gone, dropped, unrouted] = await Promise.all([
      eventually(async () => {
        expect(await registeredContainers()).toEqual(['wharf-demo-1', 'wharf-demo-2', 'wharf-demo-4']);
        return Date.now() - killedAt;
      }, TTL_MS + 20_000),
      eventually(async () => {
        expect(await routedContainers()).toEqual(['wharf-demo-1', 'wharf-demo-2', 'wharf-demo-4']);
        return Date.now() - killedAt;
      }, TTL_MS + 20_000),
      eventually(async () => {
        expect(await servedInstances(12)).toEqual(['demo-1', 'demo-2', 'demo-4']);
        return Date.now() - killedAt;
      }, TTL_MS + 20_000),
    ]);
    log.write(
      `# bridge SIGKILL: etcd key gone after ${gone} ms, edge table after ${dropped} ms, edge answers after ${unrouted} ms\n`,
    );
    expect((await etcdEntries('/wharf/bridges/')).has(bridgeKeys[0] as string)).toBe(false);
    // Within the lease TTL (plus etcd's expiry tick) everywhere, not merely eventually.
    const within = TTL_MS + TTL_SLACK_MS;
    expect(gone, 'etcd key gone (ms after SIGKILL)').toBeLessThanOrEqual(within);
    expect(dropped, 'edge route table (ms after SIGKILL)').toBeLessThanOrEqual(within);
    expect(unrouted, 'edge answers (ms after SIGKILL)').toBeLessThanOrEqual(within);
    expect(
      (await docker('inspect', '-f', '{{.State.Running}}', 'wharf-demo-3')).trim(),
      'the app of the killed bridge keeps running',
    ).toBe('true');
  });

  it('stores only readable v:1 JSON under /wharf/', async () => {
    const entries = await etcdEntries('/wharf/');
    expect(entries.size).toBeGreaterThanOrEqual(3 + 3);
    for (const [key, value] of entries) {
      let parsed: unknown;
      expect(() => {
        parsed = JSON.parse(value);
      }, `${key}: ${value}`).not.toThrow();
      expect(parsed, key).toMatchObject({ v: 1 });
    }
  });

  it('leaves no container, network or volume behind after ./run.sh down', async () => {
    await runScript(['down']);
    const byLabel = await Promise.all([
      docker('ps', '-a', '-q', '--filter', `label=${STACK_LABEL}`),
      docker('network', 'ls', '-q', '--filter', `label=${STACK_LABEL}`),
      docker('volume', 'ls', '-q', '--filter', `label=${STACK_LABEL}`),
    ]);
    expect(byLabel.map((out) => out.trim())).toEqual(['', '', '']);
    const containers = (await docker('ps', '-a', '--format', '{{.Names}}'))
      .split('\n')
      .filter((name) => /^wharf-(etcd|edge|bridge|demo-\d+(-bridge)?)$/.test(name));
    const networks = (await docker('network', 'ls', '--format', '{{.Name}}'))
      .split('\n')
      .filter((n) => n === 'wharf');
    const volumes = (await docker('volume', 'ls', '--format', '{{.Name}}'))
      .split('\n')
      .filter((n) => n === 'wharf-etcd');
    expect({ containers, networks, volumes }).toEqual({ containers: [], networks: [], volumes: [] });
  });
});
