import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { type AddressInfo, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@wharf/core';
import { silentLogger, whenAborted } from '@wharf/core';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { EdgeConfig } from '../../edge-config.js';
import { RouteTable } from '../../routing/route-table.js';
import type { RouteTableResult } from '../../routing/route-table-builder.js';
import { createAlpnChallengeServer } from '../../tls/alpn-challenge-server.js';
import { EMPTY_TLS_STATE, type TlsState } from '../../tls/tls-state.js';
import type { AccessLog } from '../access-log.js';
import type { BackendStatus, DataPlane, DataPlaneStats } from '../data-plane.js';
import { BackendResolver } from './backend-resolver.js';
import { parseHaproxyAccessLine } from './haproxy-access-line.js';
import { findHaproxyBinary } from './haproxy-binary.js';
import { panicTwinName, RUNTIME_FILES, renderHaproxyConfig, renderMapFile } from './haproxy-config.js';
import { HaproxyRuntimeError } from './haproxy-errors.js';
import { HaproxyProcess } from './haproxy-process.js';
import { HaproxyReconciler, type RuntimeStep } from './haproxy-reconciler.js';
import { establishedStreams } from './haproxy-sessions.js';
import { backendStates, HaproxyCounters, parseShowStat } from './haproxy-stats.js';
import { HaproxyTls } from './haproxy-tls.js';
import { parseServerStateLine } from './server-state-line.js';

const LUA_FILE = fileURLToPath(new URL('../../../haproxy/wharf.lua', import.meta.url));

/** How often servers removed from pools are offered to `del server` (it refuses while connections remain). */
const DELETE_INTERVAL_MS = 1_000;
/** How often DNS names of endpoints are resolved again. */
const RESOLVE_INTERVAL_MS = 30_000;
/** Map entries per `add map` payload: well under HAProxy's 16 KiB request buffer. */
const PAYLOAD_LINES = 200;

export interface HaproxyDataPlaneOptions {
  readonly config: EdgeConfig;
  /** Where request lines go (`WHARF_ACCESS_LOG=stdout`); none when undefined. */
  readonly accessLog?: AccessLog | undefined;
  /** The haproxy binary: a name looked up on PATH, or a path. */
  readonly binary?: string;
  readonly logger?: Logger;
  /** Spare backends added at a time when pools outgrow the configuration. */
  readonly slotBlock?: number;
}

/**
 * The HAProxy data plane: the edge as a controller. It supervises `haproxy -W`, renders its
 * configuration and map files from the route table, and applies every change after that
 * through the Runtime API — endpoint and route changes never reload; a reload happens only
 * when pools outgrow the backend slots (they then grow by a block) or when a command fails
 * and the files are the safer truth. The files always mirror the live state, so a reload or a
 * crash restarts into the current table.
 *
 * `apply` is called from the etcd watch and never blocks: it records the newest table and the
 * hosts it changed; one loop turns them into commands, coalescing whatever arrived meanwhile.
 */
export class HaproxyDataPlane implements DataPlane {
  readonly kind = 'haproxy' as const;
  readonly #config: EdgeConfig;
  readonly #accessLog: AccessLog | undefined;
  readonly #binaryPath: string;
  readonly #logger: Logger;
  readonly #slotBlock: number | undefined;
  readonly #counters = new HaproxyCounters();
  readonly #handshakeFailures = new HandshakeFailureCounts();
  readonly #resolver: BackendResolver;
  #table: RouteTable = RouteTable.EMPTY;
  readonly #pendingHosts = new Set<string>();
  #open = false;
  #openApplied = false;
  /** A change reached the model but maybe not HAProxy (a failed apply): reload from the files. */
  #resync = false;
  #wake: (() => void) | undefined;
  #lock: Promise<unknown> = Promise.resolve();
  #directory: string | undefined;
  #reconciler: HaproxyReconciler | undefined;
  #process: HaproxyProcess | undefined;
  #generation = 0;
  #started = false;
  #commands = 0;
  #lastBackends: readonly BackendStatus[] = [];
  #tlsState: TlsState = EMPTY_TLS_STATE;
  /** A TLS state arrived that HAProxy does not have yet. */
  #tlsPending = false;
  /** Certificates, SNI names and HTTP-01 challenges, when the TLS listener is on. */
  #tls: HaproxyTls | undefined;
  #alpnResponderPort = 0;

  constructor(options: HaproxyDataPlaneOptions) {
    this.#config = options.config;
    this.#accessLog = options.accessLog;
    this.#binaryPath = options.binary ?? 'haproxy';
    this.#logger = (options.logger ?? silentLogger).child({ component: 'haproxy-data-plane' });
    this.#slotBlock = options.slotBlock;
    this.#resolver = new BackendResolver({
      allowLinkLocal: options.config.allowLinkLocal,
      logger: options.logger,
    });
  }

  /** Reloads since start (structural changes and fallbacks). */
  get reloads(): number {
    return this.#process?.reloads ?? 0;
  }

  /** Restarts of HAProxy after it died. */
  get restarts(): number {
    return this.#process?.restarts ?? 0;
  }

  /** HAProxy's master process (while running). */
  get pid(): number | undefined {
    return this.#process?.pid;
  }

  /** The directory holding haproxy.cfg, the maps and the sockets (while running). */
  get directory(): string | undefined {
    return this.#directory;
  }

  apply(change: RouteTableResult): void {
    this.#table = change.table;
    for (const host of change.changedHosts) this.#pendingHosts.add(host);
    this.#wake?.();
  }

  applyTls(state: TlsState): void {
    this.#tlsState = state;
    this.#tlsPending = true;
    this.#wake?.();
  }

  open(): void {
    this.#open = true;
    this.#wake?.();
  }

  get ready(): boolean {
    return this.#process !== undefined && this.#started && this.#openApplied;
  }

  async run(signal: AbortSignal): Promise<void> {
    const binary = await findHaproxyBinary(this.#binaryPath);
    await removeStaleDirectories(tmpdir()).catch(() => {});
    const directory = await mkdtemp(join(tmpdir(), RUNTIME_PREFIX));
    this.#directory = directory;
    const file = (name: keyof typeof RUNTIME_FILES) => join(directory, RUNTIME_FILES[name]);
    this.#reconciler = new HaproxyReconciler({
      maps: {
        hosts: file('hosts'),
        wildcards: file('wildcards'),
        routes: file('routes'),
        slots: file('slots'),
        held: file('held'),
        redirect: file('redirect'),
        hsts: file('hsts'),
      },
      ejectionMs: this.#config.ejectionMs,
      resolve: (address) => this.#resolver.resolve(address),
      slotBlock: this.#slotBlock,
      zone: this.#config.zone,
      logger: this.#logger,
    });
    // The TLS port's ACME TLS-ALPN-01 validations are answered by the edge itself, on loopback.
    const alpnResponder =
      this.#config.tls.listen === undefined
        ? undefined
        : createAlpnChallengeServer({ challenges: () => this.#tlsState.challenges });
    if (alpnResponder !== undefined) {
      await mkdir(file('certificates'), { mode: 0o700 });
      this.#tls = await HaproxyTls.create({
        certificates: file('certificates'),
        crtList: file('crtList'),
        sniMap: file('sni'),
        sniWildcardMap: file('sniWildcards'),
        challengeMap: file('challenges'),
        stateMap: file('state'),
      });
      alpnResponder.listen({ host: '127.0.0.1', port: 0 });
      await once(alpnResponder, 'listening');
      this.#alpnResponderPort = (alpnResponder.address() as AddressInfo).port;
    }
    const process = new HaproxyProcess({
      binary,
      directory,
      stopGraceMs: this.#config.shutdownGraceMs,
      logger: this.#logger,
      prepare: () => this.#locked(() => this.#prepareStart()),
      onRestart: () => {
        this.#generation += 1;
      },
      onStdoutLine: (line) => this.#stdoutLine(line),
      onStderrLine: (line) => this.#stderrLine(line),
    });
    this.#process = process;
    const stopLoop = new AbortController();
    try {
      const running = process.run(signal);
      // Resolves true once HAProxy serves; false when it stopped (or failed: `running` says why).
      const started = await Promise.race([
        process.started.then(
          () => true,
          () => false,
        ),
        running.then(() => false),
      ]);
      this.#started = started;
      if (started) {
        this.#logger.info(
          {
            dataplane: 'haproxy',
            haproxy: binary.version,
            pid: process.pid,
            address: `${this.#config.listen.host}:${this.#config.listen.port}`,
            ...(this.#config.tls.listen
              ? { tlsAddress: `${this.#config.tls.listen.host}:${this.#config.tls.listen.port}` }
              : {}),
          },
          'edge listening',
        );
      }
      const loop = started ? this.#loop(stopLoop.signal) : Promise.resolve();
      whenAborted(signal, () => stopLoop.abort());
      try {
        await running;
      } finally {
        stopLoop.abort();
        await loop;
      }
    } finally {
      stopLoop.abort();
      this.#process = undefined;
      this.#accessLog?.close();
      alpnResponder?.close();
      await rm(directory, { recursive: true, force: true });
    }
  }

  async stats(options: { readonly onlyNotable?: boolean } = {}): Promise<DataPlaneStats> {
    await this.#collect().catch((error: unknown) =>
      this.#logger.debug({ err: error }, 'haproxy stats not available'),
    );
    const backends = options.onlyNotable
      ? this.#lastBackends.filter(
          (backend) => backend.active > 0 || backend.ejectedUntil !== null || backend.consecutiveFailures > 0,
        )
      : this.#lastBackends;
    return { requests: [...this.#counters.requests()], failures: this.#counters.failures, backends };
  }

  registerMetrics(registry: Registry): void {
    const plane = this;
    new Counter({
      name: 'wharf_edge_haproxy_reloads_total',
      help: 'HAProxy reloads (structural changes: pools outgrew the backend slots; or a fallback after a failed command).',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(plane.reloads);
      },
    });
    new Counter({
      name: 'wharf_edge_haproxy_restarts_total',
      help: 'HAProxy restarts after it died.',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(plane.#process?.restarts ?? 0);
      },
    });
    new Counter({
      name: 'wharf_edge_haproxy_runtime_commands_total',
      help: 'Runtime API commands sent to apply route-table changes.',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(plane.#commands);
      },
    });
    new Counter({
      name: 'wharf_tls_handshake_failures_total',
      help: 'TLS connections refused before a request: PLAIN_HTTP (answered 400), REFUSED (no certificate for the SNI, not a ClientHello in time).',
      labelNames: ['reason'],
      registers: [registry],
      async collect() {
        await plane.#collect().catch(() => {});
        this.reset();
        for (const [reason, count] of plane.#handshakeFailures.totals()) this.inc({ reason }, count);
      },
    });
    new Gauge({
      name: 'wharf_edge_haproxy_slots',
      help: 'Backend slots in the HAProxy configuration, by use.',
      labelNames: ['state'],
      registers: [registry],
      collect() {
        const reconciler = plane.#reconciler;
        if (reconciler === undefined) return;
        this.set({ state: 'used' }, reconciler.poolCount);
        this.set({ state: 'free' }, reconciler.slotCount - reconciler.poolCount);
      },
    });
  }

  /** Runs `work` alone: the loop, a (re)start's file rendering and reloads never interleave. */
  #locked<T>(work: () => Promise<T>): Promise<T> {
    const result = this.#lock.then(work);
    this.#lock = result.catch(() => {});
    return result;
  }

  /** Before HAProxy (re)starts: fold in what is pending and write the files it starts from. */
  async #prepareStart(): Promise<void> {
    const reconciler = this.#reconciler!;
    await this.#planPending();
    reconciler.reloaded();
    // HAProxy starts from the files: what the TLS plan would send is in them.
    this.#tls?.plan(this.#tlsState);
    this.#tlsPending = false;
    this.#openApplied = this.#open;
    this.#resync = false;
    await this.#writeFiles();
  }

  async #loop(signal: AbortSignal): Promise<void> {
    let nextDelete = 0;
    let nextResolve = Date.now() + RESOLVE_INTERVAL_MS;
    while (!signal.aborted) {
      const now = Date.now();
      try {
        if (now >= nextResolve) {
          nextResolve = now + RESOLVE_INTERVAL_MS;
          await this.#refreshNames();
        }
        if (this.#resync) {
          await this.#locked(() => this.#reload('resynchronising after a failed apply'));
        } else if (this.#pendingHosts.size > 0 || this.#open !== this.#openApplied) {
          await this.#locked(() => this.#applyPending());
        } else if (this.#tlsPending) {
          await this.#locked(() => this.#applyTls());
        }
        if (now >= nextDelete && (this.#reconciler?.pendingDeletes().length ?? 0) > 0) {
          nextDelete = now + DELETE_INTERVAL_MS;
          await this.#locked(() => this.#deleteServers());
        }
      } catch (error) {
        this.#logger.error({ err: error }, 'applying changes to haproxy failed; retrying');
        await sleep(200, undefined, { signal }).catch(() => {});
      }
      if (this.#resync || this.#pendingHosts.size > 0 || this.#open !== this.#openApplied || this.#tlsPending)
        continue;
      const pendingDeletes = (this.#reconciler?.pendingDeletes().length ?? 0) > 0;
      const waitMs = Math.max(0, Math.min(nextResolve, pendingDeletes ? nextDelete : Infinity) - Date.now());
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          unsubscribe();
          resolve();
        };
        const timer = setTimeout(done, waitMs);
        const unsubscribe = whenAborted(signal, done);
        this.#wake = done;
      });
      this.#wake = undefined;
    }
  }

  /** Turns pending hosts into the model; returns the plan's steps and whether it needs a reload. */
  async #planPending(): Promise<{ steps: readonly RuntimeStep[]; reload: boolean }> {
    const hosts = [...this.#pendingHosts];
    this.#pendingHosts.clear();
    if (hosts.length === 0) return { steps: [], reload: false };
    const table = this.#table;
    await this.#resolver.prepare(addressesOf(table, hosts));
    return this.#reconciler!.plan(table, hosts);
  }

  async #applyPending(): Promise<void> {
    const process = this.#process;
    if (process === undefined) return;
    const started = performance.now();
    const plan = await this.#planPending();
    const opening = this.#open && !this.#openApplied;
    try {
      if (plan.reload) {
        this.#openApplied = this.#open;
        await this.#reload('the backends changed shape (more slots, a backup server)');
      } else {
        const steps = [...plan.steps];
        if (opening) steps.push({ kind: 'command', command: `set map ${this.#file('state')} open 1` });
        await this.#execute(steps);
        this.#openApplied = this.#open;
        await this.#writeFiles();
      }
    } catch (error) {
      // The model is the truth: HAProxy starts over from it (a hitless reload) instead of
      // the edge guessing what part of the batch took effect.
      this.#resync = true;
      this.#openApplied = this.#open;
      if (error instanceof HaproxyRuntimeError) {
        this.#logger.warn({ err: error }, 'a runtime command failed; reloading haproxy from the files');
        return;
      }
      throw error;
    }
    if (plan.steps.length > 0 || plan.reload) {
      this.#logger.debug(
        {
          steps: plan.steps.length,
          reload: plan.reload,
          ms: Math.round((performance.now() - started) * 10) / 10,
        },
        'haproxy updated',
      );
    }
  }

  /** Certificates and challenges through the Runtime API, never a reload; then the files. */
  async #applyTls(): Promise<void> {
    this.#tlsPending = false;
    const tls = this.#tls;
    if (tls === undefined || this.#process === undefined) return;
    const steps = tls.plan(this.#tlsState);
    try {
      await this.#execute(steps);
      await this.#writeFiles();
    } catch (error) {
      this.#resync = true;
      if (error instanceof HaproxyRuntimeError) {
        this.#logger.warn({ err: error }, 'a TLS runtime command failed; reloading haproxy from the files');
        return;
      }
      throw error;
    }
    if (steps.length > 0) this.#logger.debug({ steps: steps.length }, 'haproxy TLS updated');
  }

  async #reload(reason: string): Promise<void> {
    const process = this.#process!;
    // Read the old worker's counters one last time: the new one starts from zero.
    await this.#collect().catch(() => {});
    await this.#writeFiles();
    await process.reload();
    this.#generation += 1;
    this.#resync = false;
    this.#reconciler!.reloaded();
    this.#logger.info(
      { reason, reloads: process.reloads, slots: this.#reconciler!.slotCount },
      'haproxy reloaded into the current table',
    );
  }

  async #execute(steps: readonly RuntimeStep[]): Promise<void> {
    const api = this.#process!.api;
    let batch: string[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const commands = batch;
      batch = [];
      this.#commands += commands.length;
      const outputs = await api.execute(commands);
      outputs.forEach((output, index) => {
        if (!succeeded(commands[index]!, output)) {
          throw new HaproxyRuntimeError(`haproxy answered ${JSON.stringify(output.trim())}`, commands[index]);
        }
      });
    };
    for (const step of steps) {
      if (step.kind === 'command') {
        batch.push(step.command);
        continue;
      }
      await flush();
      if (step.kind === 'payload') {
        this.#commands += 1;
        const output = await api.executeWithPayload(step.command, step.payload);
        if (!succeeded(step.command, output.trim()))
          throw new HaproxyRuntimeError(`haproxy answered ${JSON.stringify(output.trim())}`, step.command);
        continue;
      }
      // A whole map swapped atomically: a new version is filled, then committed.
      const prepared = await api.run(`prepare map ${step.map}`);
      const version = /New version created: (\d+)/.exec(prepared)?.[1];
      if (version === undefined)
        throw new HaproxyRuntimeError(
          `haproxy answered ${JSON.stringify(prepared.trim())}`,
          `prepare map ${step.map}`,
        );
      for (let index = 0; index < step.entries.length; index += PAYLOAD_LINES) {
        const lines = step.entries
          .slice(index, index + PAYLOAD_LINES)
          .map(([key, value]) => `${key} ${value}`);
        const output = await api.executeWithPayload(`add map @${version} ${step.map}`, lines);
        if (output.trim() !== '')
          throw new HaproxyRuntimeError(
            `haproxy answered ${JSON.stringify(output.trim())}`,
            `add map @${version} ${step.map}`,
          );
      }
      batch.push(`commit map @${version} ${step.map}`);
      this.#commands += 2 + Math.ceil(step.entries.length / PAYLOAD_LINES);
    }
    await flush();
  }

  async #deleteServers(): Promise<void> {
    const process = this.#process;
    const reconciler = this.#reconciler;
    if (process === undefined || reconciler === undefined) return;
    const pending = reconciler.pendingDeletes();
    const outputs = await process.api.execute(pending.map(({ slot, name }) => `del server ${slot}/${name}`));
    outputs.forEach((output, index) => {
      const { slot, name } = pending[index]!;
      // Refused while connections are attached (a WebSocket, a slow response): next round.
      if (/Server deleted|No such server/i.test(output)) reconciler.deleted(slot, name);
    });
    this.#commands += pending.length;
  }

  async #refreshNames(): Promise<void> {
    const changed = await this.#resolver.refresh();
    const inUse = new Set<string>();
    const affected = new Set<string>();
    for (const hostRoutes of [...this.#table.exact.values(), ...this.#table.wildcard.values()]) {
      for (const pool of hostRoutes.pools) {
        for (const endpoint of pool.endpoints) {
          inUse.add(endpoint.address);
          if (changed.has(endpoint.address)) affected.add(hostRoutes.host);
        }
      }
    }
    this.#resolver.retain(inUse);
    for (const host of affected) this.#pendingHosts.add(host);
  }

  async #collect(): Promise<void> {
    const process = this.#process;
    const reconciler = this.#reconciler;
    if (process === undefined || reconciler === undefined) return;
    const generation = this.#generation;
    const rows = parseShowStat(await process.api.run('show stat'));
    this.#counters.update(rows, reconciler.slotRoutes(), generation);
    this.#handshakeFailures.update(rows, generation);
    this.#lastBackends = backendStates(
      rows,
      reconciler.serverBackends(),
      this.#config.ejectionMs,
      Date.now(),
    );
  }

  async #writeFiles(): Promise<void> {
    const directory = this.#directory!;
    const snapshot = this.#reconciler!.snapshot();
    const config = renderHaproxyConfig({
      directory,
      luaFile: LUA_FILE,
      listen: this.#config.listen,
      threads: this.#config.workers,
      trustedProxies: this.#config.trustedProxies,
      headersTimeoutMs: this.#config.headersTimeoutMs,
      idleTimeoutMs: this.#config.idleTimeoutMs,
      upstreamTimeoutMs: this.#config.upstreamTimeoutMs,
      connectTimeoutMs: this.#config.connectTimeoutMs,
      startupWaitMs: this.#config.startupWaitMs,
      routeWaitMs: this.#config.routeWaitMs,
      ejectionMs: this.#config.ejectionMs,
      oldWorkerGraceMs: Math.max(3_600_000, this.#config.shutdownGraceMs),
      accessLog: this.#accessLog !== undefined,
      requestIdPrefix: randomBytes(4).toString('hex'),
      slots: snapshot.slots,
      tls:
        this.#config.tls.listen === undefined
          ? undefined
          : {
              listen: this.#config.tls.listen,
              alpnResponderPort: this.#alpnResponderPort,
              redirectPort: this.#config.tls.redirectPort,
            },
    });
    const tls = this.#tls?.files();
    if (tls !== undefined) {
      // Certificate files before the list that names them; files no longer named go.
      const directory = this.#file('certificates');
      await Promise.all([...tls.certificates].map(([path, pem]) => atomicWrite(path, pem)));
      for (const name of await readdir(directory))
        if (!tls.certificates.has(join(directory, name))) await rm(join(directory, name), { force: true });
    }
    await Promise.all([
      atomicWrite(this.#file('config'), config),
      atomicWrite(this.#file('hosts'), renderMapFile(snapshot.hosts)),
      atomicWrite(this.#file('wildcards'), renderMapFile(snapshot.wildcards)),
      atomicWrite(this.#file('routes'), renderMapFile(snapshot.routes)),
      atomicWrite(this.#file('slots'), renderMapFile(snapshot.slotRoutes)),
      atomicWrite(this.#file('held'), renderMapFile(snapshot.held)),
      atomicWrite(this.#file('redirect'), renderMapFile(snapshot.redirect)),
      atomicWrite(this.#file('hsts'), renderMapFile(snapshot.hsts)),
      atomicWrite(this.#file('crtList'), tls?.crtList ?? ''),
      atomicWrite(this.#file('sni'), renderMapFile(tls?.sni ?? [])),
      atomicWrite(this.#file('sniWildcards'), renderMapFile(tls?.sniWildcards ?? [])),
      atomicWrite(this.#file('challenges'), renderMapFile(tls?.challenges ?? [])),
      atomicWrite(
        this.#file('state'),
        renderMapFile([
          ['open', this.#openApplied ? '1' : '0'],
          ['tls_default', this.#tls?.hasDefault ? '1' : '0'],
        ]),
      ),
    ]);
  }

  #file(name: keyof typeof RUNTIME_FILES): string {
    return join(this.#directory!, RUNTIME_FILES[name]);
  }

  /** Passive health's decisions, logged as the built-in plane logs its ejections. */
  #stderrLine(line: string): void {
    const change = parseServerStateLine(line);
    if (change === undefined) return;
    const backend = this.#reconciler?.serverBackends().get(change.server);
    const endpoint = change.server.slice(change.server.indexOf('/') + 1);
    if (change.state === 'down') {
      this.#logger.warn(
        { backend, endpoint, reason: change.reason, ejectionMs: this.#config.ejectionMs },
        'backend ejected',
      );
      this.#cutStreams(change.server).catch((error: unknown) =>
        this.#logger.warn(
          { err: error, endpoint },
          'could not cut the requests waiting on an ejected backend',
        ),
      );
    } else this.#logger.info({ backend, endpoint }, 'backend answering again');
    // The pool's panic twins follow its health (parked while a server of it is up).
    const hosts = this.#reconciler?.healthChanged(change.server, change.state === 'down') ?? [];
    for (const host of hosts) this.#pendingHosts.add(host);
    if (hosts.length > 0) this.#wake?.();
  }

  /**
   * Requests already sent to a server that passive health marked down (over reused connections
   * to a host that vanished) would wait for the upstream timeout. They are cut, and HAProxy
   * sends each again elsewhere when it may (idempotent, no body: `retry-on empty-response`), as
   * the built-in plane does at an ejection. Streams still connecting are left alone: their
   * connect fails and is retried. (HAProxy's `on-marked-down shutdown-sessions` would cut those
   * too, and a stream cut while connecting is answered with a reset, not retried.)
   */
  async #cutStreams(server: string): Promise<void> {
    const process = this.#process;
    if (process === undefined) return;
    const slot = server.slice(0, server.indexOf('/'));
    const name = server.slice(slot.length + 1);
    const ids = establishedStreams(await process.api.run('show sess'), slot, [name, panicTwinName(name)]);
    if (ids.length === 0) return;
    await process.api.execute(ids.map((id) => `shutdown session ${id}`));
    this.#commands += ids.length;
    this.#logger.info(
      { endpoint: name, requests: ids.length },
      'requests waiting on an ejected backend cut, to be retried',
    );
  }

  #stdoutLine(line: string): void {
    const entry = this.#accessLog ? parseHaproxyAccessLine(line) : undefined;
    if (entry) this.#accessLog!.write(entry);
    else this.#logger.debug({ line }, 'haproxy says');
  }
}

/** Whether a Runtime API command did what was asked (most print nothing when they do). */
function succeeded(command: string, output: string): boolean {
  if (output === '') return true;
  if (command.startsWith('add server ')) return /^New server registered/.test(output);
  // The SSL commands report success in words (on the last line when they say more).
  const said = output.trim();
  if (command.startsWith('new ssl cert ')) return said.startsWith('New empty certificate store');
  if (command.startsWith('set ssl cert ')) return /^Transaction (created|updated)/.test(said);
  if (command.startsWith('del ssl cert ')) return said.endsWith('deleted!');
  if (command.startsWith('del ssl crt-list ')) return said.includes('deleted in crtlist');
  if (/^(commit ssl cert|add ssl crt-list) /.test(command)) return said.endsWith('Success!');
  if (command.startsWith('set server ') && command.includes(' addr '))
    return /changed from|no need to change/i.test(output);
  return false;
}

/** The addresses of every endpoint routed on `hosts`. */
function addressesOf(table: RouteTable, hosts: readonly string[]): Set<string> {
  const addresses = new Set<string>();
  for (const host of hosts) {
    const hostRoutes = host.startsWith('*.') ? table.wildcard.get(host.slice(2)) : table.exact.get(host);
    for (const pool of hostRoutes?.pools ?? [])
      for (const endpoint of pool.endpoints) addresses.add(endpoint.address);
  }
  return addresses;
}

const RUNTIME_PREFIX = 'wharf-haproxy-';

/**
 * Runtime directories left by edges that were killed (SIGKILL leaves no time to clean up;
 * their HAProxy died with them): older than a minute, and no HAProxy answers on their socket.
 */
async function removeStaleDirectories(parent: string): Promise<void> {
  for (const name of await readdir(parent)) {
    if (!name.startsWith(RUNTIME_PREFIX)) continue;
    const directory = join(parent, name);
    const info = await stat(directory).catch(() => undefined);
    if (info === undefined || Date.now() - info.mtimeMs < 60_000) continue;
    if (await answers(join(directory, RUNTIME_FILES.master))) continue;
    await rm(directory, { recursive: true, force: true });
  }
}

function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ path });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function atomicWrite(path: string, text: string): Promise<void> {
  const temporary = `${path}.tmp`;
  await writeFile(temporary, text, { mode: 0o600 });
  await rename(temporary, path);
}

/**
 * TLS connections the TLS front refused, by reason, from `show stat` (the TCP front's denied
 * connections, the plain-HTTP answerer's sessions). HAProxy's counters start over with each
 * worker: what earlier workers counted is kept as a base.
 */
class HandshakeFailureCounts {
  #generation = -1;
  readonly #base = new Map<string, number>();
  readonly #current = new Map<string, number>();

  update(rows: readonly Record<string, string>[], generation: number): void {
    if (generation !== this.#generation) {
      for (const [reason, count] of this.#current)
        this.#base.set(reason, (this.#base.get(reason) ?? 0) + count);
      this.#current.clear();
      this.#generation = generation;
    }
    for (const row of rows) {
      if (row.svname !== 'FRONTEND') continue;
      const count = (name: string) => Number(row[name] ?? 0) || 0;
      if (row.pxname === 'wharf_plain_on_tls') this.#current.set('PLAIN_HTTP', count('stot'));
      if (row.pxname === 'wharf_tls')
        this.#current.set('REFUSED', count('dreq') + count('dcon') + count('dses'));
    }
  }

  totals(): Map<string, number> {
    const totals = new Map(this.#base);
    for (const [reason, count] of this.#current) totals.set(reason, (totals.get(reason) ?? 0) + count);
    return totals;
  }
}
