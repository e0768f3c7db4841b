import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createEtcdClient } from '@wharf/core';
import type { Etcd3 } from 'etcd3';
import { expect } from 'vitest';
import { BridgeProcess } from '../../bridge/support/bridge-process.js';
import { DemoContainers } from '../../bridge/support/demo-containers.js';
import { EdgeProcess } from '../../edge/support/edge-process.js';
import type { DataPlane } from '../../support/data-planes.js';
import { type LoadOptions, type LoadReport, SteadyLoad } from '../../support/steady-load.js';
import { eventually } from '../../support/wait.js';

/** True on CI (shorter faults), false on a workstation; WHARF_SOAK=1 lengthens them for `bench`. */
export const IS_CI = process.env.CI === 'true';
export const SOAK = process.env.WHARF_SOAK === '1';

/** A fault duration: `soak` under WHARF_SOAK=1, `ci` on CI, else `normal`. */
export function faultMs(normal: number, ci: number, soak = normal * 4): number {
  if (SOAK) return soak;
  return IS_CI ? ci : normal;
}

export interface RigOptions {
  /** Short name for this scenario; makes containers, service, node and prefix unique per run. */
  readonly scenario: string;
  /** etcd endpoints (comma list is passed to every program). */
  readonly etcd: readonly string[];
  readonly replicas?: number;
  /** Bridge lease TTL (default 3s, so expiry scenarios stay short). */
  readonly ttl?: string;
  readonly bridgeEnv?: Record<string, string>;
  readonly edgeEnv?: Record<string, string>;
  /** One edge per data plane, all watching the same registry (default: the built-in plane only). */
  readonly planes?: readonly DataPlane[];
}

/**
 * One scenario's world: real wharf/demo containers, one real host-mode bridge (child process)
 * registering them in etcd, a real edge (child process) routing a Host to them, and a client
 * for looking at etcd directly. Everything is named after the scenario and the test process.
 */
export class FaultRig {
  readonly scenario: string;
  readonly run = `${process.pid}`;
  readonly service: string;
  readonly node: string;
  readonly host: string;
  readonly prefix: string;
  readonly containers = new DemoContainers();
  readonly names: string[];
  readonly etcd: readonly string[];
  readonly client: Etcd3;
  readonly bridges: BridgeProcess[] = [];
  /** An edge per data plane, in the order of `planes`. */
  readonly edges = new Map<DataPlane, EdgeProcess>();
  readonly #options: RigOptions;

  private constructor(options: RigOptions) {
    this.#options = options;
    this.scenario = options.scenario;
    this.service = `rel-${options.scenario}-${this.run}`;
    this.node = `rel-${options.scenario}-${this.run}`;
    this.host = `${options.scenario}.rel.test`;
    this.prefix = `/wharf-rel-${options.scenario}`;
    this.etcd = options.etcd;
    this.names = Array.from(
      { length: options.replicas ?? 2 },
      (_, index) => `wharf-rel-${options.scenario}-${this.run}-${index + 1}`,
    );
    this.client = createEtcdClient({ endpoints: [...options.etcd] });
  }

  static async start(options: RigOptions): Promise<FaultRig> {
    const rig = new FaultRig(options);
    try {
      for (const name of rig.names) await rig.startContainer(name);
      rig.startBridge();
      for (const dataplane of options.planes ?? ['builtin']) {
        const edge = await EdgeProcess.start({
          dataplane,
          etcd: options.etcd.join(','),
          prefix: rig.prefix,
          // Faults here measure when a route goes (404); the redeploy grace is tested on its own.
          env: { WHARF_UPSTREAM_TIMEOUT: '5s', WHARF_ROUTE_GRACE: '0', ...options.edgeEnv },
        });
        rig.edges.set(dataplane, edge);
      }
      await rig.waitRegistered();
      await rig.waitServedByAll();
      return rig;
    } catch (error) {
      await rig.close();
      throw error;
    }
  }

  get labels(): Record<string, string> {
    return {
      'wharf.service': this.service,
      'wharf.http.host': this.host,
      'wharf.check': 'http:/health',
      'wharf.check.interval': '300ms',
      'wharf.check.timeout': '250ms',
    };
  }

  async startContainer(name: string): Promise<void> {
    await this.containers.start(name, { labels: this.labels });
  }

  startBridge(env: Record<string, string> = {}): BridgeProcess {
    const bridge = new BridgeProcess({
      WHARF_ETCD: this.etcd.join(','),
      WHARF_PREFIX: this.prefix,
      WHARF_NODE: this.node,
      WHARF_HOST_IP: '127.0.0.1',
      WHARF_TTL: this.#options.ttl ?? '3s',
      LOG_LEVEL: 'info',
      ...this.#options.bridgeEnv,
      ...env,
    });
    this.bridges.push(bridge);
    return bridge;
  }

  /** The first plane's edge. */
  get edge(): EdgeProcess {
    return this.edges.values().next().value!;
  }

  get bridge(): BridgeProcess {
    return this.bridges.at(-1)!;
  }

  keyOf(name: string): string {
    return `${this.prefix}/services/${this.service}/${this.node}:${name}:8080`;
  }

  /** This scenario's endpoint keys in etcd, with their state and lease. */
  async registered(): Promise<Map<string, { state: string; lease: string }>> {
    const response = await this.client.getAll().prefix(`${this.prefix}/services/${this.service}/`).exec();
    return new Map(
      response.kvs.map((kv) => [
        kv.key.toString(),
        { state: (JSON.parse(kv.value.toString()) as { state: string }).state, lease: kv.lease },
      ]),
    );
  }

  /** Waits until exactly `names` are registered and serving; returns how long it took. */
  async waitRegistered(names: readonly string[] = this.names, timeoutMs = 20_000): Promise<number> {
    const started = Date.now();
    const expected = names.map((name) => this.keyOf(name)).sort();
    await eventually(async () => {
      const found = await this.registered();
      expect([...found.keys()].sort()).toEqual(expected);
      expect([...found.values()].every((entry) => entry.state === 'serving' && entry.lease !== '0')).toBe(
        true,
      );
    }, timeoutMs);
    return Date.now() - started;
  }

  /** Waits until the edge (of `plane`, else every edge) has answered from every replica in `names`. */
  async waitServedByAll(names: readonly string[] = this.names, plane?: DataPlane): Promise<void> {
    if (plane === undefined) {
      for (const each of this.edges.keys()) await this.waitServedByAll(names, each);
      return;
    }
    const load = SteadyLoad.start({ url: this.edges.get(plane)!.url, host: this.host, concurrency: 2 });
    try {
      await eventually(() => {
        for (const name of names) expect(Object.keys(load.servedByNow)).toContain(name);
      }, 20_000);
    } finally {
      await load.stop();
    }
  }

  /** Steady load through the edge of `plane` (default: the first). */
  startLoad(options: Partial<LoadOptions> = {}, plane?: DataPlane): SteadyLoad {
    const edge = plane === undefined ? this.edge : this.edges.get(plane)!;
    return SteadyLoad.start({ url: edge.url, host: this.host, ...options });
  }

  /** Steady load through every edge at once: one fault, measured on every plane. */
  startLoads(options: Partial<LoadOptions> = {}): Map<DataPlane, SteadyLoad> {
    return new Map([...this.edges.keys()].map((plane) => [plane, this.startLoad(options, plane)]));
  }

  /** Prints what the programs logged; call when a scenario fails. */
  dump(): string {
    return [
      ...this.bridges.map((bridge) => bridge.dump()),
      ...[...this.edges.values()].map((edge) => edge.log),
    ].join('\n');
  }

  async close(): Promise<void> {
    await Promise.all(this.bridges.map((bridge) => bridge.kill('SIGKILL')));
    for (const edge of this.edges.values()) await edge.kill();
    await this.containers.removeAll();
    this.client.close();
  }
}

export function describeLoad(report: LoadReport): string {
  const window = report.failedBetweenMs
    ? ` (sent ${(report.failedBetweenMs[0] / 1000).toFixed(1)}–${(report.failedBetweenMs[1] / 1000).toFixed(1)} s after the start)`
    : '';
  return `${report.sent} requests in ${(report.durationMs / 1000).toFixed(1)} s, ${report.failed} failed ${JSON.stringify(report.failures)}${window}`;
}

/**
 * One or more loads' figures as a result row takes them: what was sent, what failed and how
 * (counts summed, a few samples kept).
 */
export function loadFigures(
  ...reports: readonly LoadReport[]
): Pick<ScenarioResult, 'requestsSent' | 'requestsFailed' | 'failures' | 'samples'> {
  const failures: Record<string, number> = {};
  for (const report of reports)
    for (const [reason, count] of Object.entries(report.failures))
      failures[reason] = (failures[reason] ?? 0) + count;
  return {
    requestsSent: reports.reduce((sum, report) => sum + report.sent, 0),
    requestsFailed: reports.reduce((sum, report) => sum + report.failed, 0),
    failures,
    samples: reports.flatMap((report) => report.samples).slice(0, 6),
  };
}

/** One row of docs/reliability.md's table, as measured. */
export interface ScenarioResult {
  readonly scenario: string;
  readonly load: string;
  readonly fault: string;
  readonly requestsSent: number;
  readonly requestsFailed: number;
  readonly failures: Readonly<Record<string, number>>;
  /** A few failed responses, for diagnosis. */
  readonly samples?: readonly string[];
  readonly registrationsLost: number;
  /** Other measurements (ms) named by what they measure. */
  readonly measured: Readonly<Record<string, number>>;
  /** Anything else worth keeping with the figures (per-phase load reports, say). */
  readonly notes?: Readonly<Record<string, unknown>>;
}

/** Prints a result and keeps it under test/artifacts/reliability/ for the docs table. */
export function recordResult(result: ScenarioResult): void {
  const directory = fileURLToPath(new URL('../../artifacts/reliability/', import.meta.url));
  mkdirSync(directory, { recursive: true });
  const stamped = { ...result, ci: IS_CI, soak: SOAK, at: new Date().toISOString() };
  writeFileSync(`${directory}${result.scenario}.json`, `${JSON.stringify(stamped, null, 2)}\n`);
  console.log(`[reliability] ${JSON.stringify(stamped)}`);
}

/** Per-test timeout for fault scenarios: the default minute, or much longer when soaking. */
export const SCENARIO_TIMEOUT_MS = SOAK ? 900_000 : 60_000;
