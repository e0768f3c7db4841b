import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger, RegistryState } from '@wharf/core';
import { silentLogger } from '@wharf/core';
import type { RouteCounters } from '../dataplane/route-stats.js';
import type { Edge } from '../edge.js';
import type { AdminServer } from './admin-server.js';
import { sendText } from './admin-server.js';
import { DASHBOARD_HTML, DASHBOARD_STYLE } from './dashboard-page.js';
import { DashboardRates } from './dashboard-rates.js';
import {
  type DashboardStatus,
  type DashboardTick,
  dashboardBackends,
  dashboardStatus,
  dashboardTable,
  sseFrame,
} from './dashboard-snapshot.js';
import { type RoutesDocument, routesDocument } from './edge-admin.js';

/** What each tick needs: the `/routes` document without its table, plus which table is current. */
export type DashboardPulse = Omit<RoutesDocument, 'table'> & {
  /** Changes whenever the table does (revision and build time). */
  readonly tableVersion: string;
};

/** Where the dashboard reads from: an edge process, or a cluster primary asking its workers. */
export interface DashboardSources {
  readonly routes: () => Promise<RoutesDocument> | RoutesDocument;
  /** A cheaper read for ticks than the whole `routes` document; derived from `routes` when absent. */
  readonly pulse?: () => Promise<DashboardPulse> | DashboardPulse;
  readonly counters: () => Promise<Iterable<RouteCounters>> | Iterable<RouteCounters>;
  readonly ready: () => boolean;
  /** Endpoint records and drains (health, tags, drain reasons); an edge process has them, a primary not. */
  readonly registry?: () => RegistryState;
  /** Calls `listener` on each new route table; without it, changes are noticed on the next tick. */
  readonly subscribe?: (listener: () => void) => () => void;
  readonly scope?: DashboardStatus['scope'];
  readonly workers?: number;
}

export interface DashboardOptions {
  readonly logger?: Logger;
  /** Concurrent `/events` streams; more are refused with 503 so a forgotten tab farm cannot load the edge. */
  readonly maxClients?: number;
  readonly tickMs?: number;
  readonly heartbeatMs?: number;
  /** Table messages are coalesced to at most one per this interval during change storms. */
  readonly tableIntervalMs?: number;
  readonly now?: () => number;
}

/** A stream whose unsent output grew past this is too slow to follow and is dropped. */
const MAX_BUFFERED_BYTES = 1 << 20;

const PAGE_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  // Nothing inline runs and nothing leaves the admin listener, even if a value slipped past escaping.
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

/**
 * The live dashboard on the admin listener: `/` (one page, its script and style served from
 * strings, no external assets) and `/events`, a Server-Sent Events stream. A client gets a
 * snapshot on connect, a `table` message on each route table change and a `tick` about once a
 * second with per-route rates computed from the request counters; comment heartbeats keep idle
 * proxies from closing the stream. Work happens only while someone is watching.
 */
export class Dashboard {
  readonly #sources: DashboardSources;
  readonly #logger: Logger;
  readonly #maxClients: number;
  readonly #tickMs: number;
  readonly #heartbeatMs: number;
  readonly #tableIntervalMs: number;
  readonly #now: () => number;
  readonly #rates = new DashboardRates();
  readonly #clients = new Set<ServerResponse>();
  #unsubscribe: (() => void) | undefined;
  #tickTimer: NodeJS.Timeout | undefined;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #tableTimer: NodeJS.Timeout | undefined;
  #lastTableAt = 0;
  #tableSpacingMs = 0;
  #tableVersion = '';
  #ticking = false;
  #failing = false;
  #closed = false;

  constructor(sources: DashboardSources, options: DashboardOptions = {}) {
    this.#sources = sources;
    this.#logger = (options.logger ?? silentLogger).child({ component: 'dashboard' });
    this.#maxClients = options.maxClients ?? 16;
    this.#tickMs = options.tickMs ?? 1_000;
    this.#heartbeatMs = options.heartbeatMs ?? 15_000;
    this.#tableIntervalMs = options.tableIntervalMs ?? 250;
    this.#now = options.now ?? Date.now;
  }

  /** Mounts `/`, `/dashboard.js`, `/dashboard.css` and `/events` on `admin`. */
  mount(admin: AdminServer): this {
    admin.mount('/', (_req, res) => this.#asset(res, DASHBOARD_HTML, 'text/html; charset=utf-8'));
    admin.mount('/dashboard.js', (_req, res) =>
      this.#asset(res, dashboardScript(), 'text/javascript; charset=utf-8'),
    );
    admin.mount('/dashboard.css', (_req, res) =>
      this.#asset(res, DASHBOARD_STYLE, 'text/css; charset=utf-8'),
    );
    admin.mount('/events', (req, res) => this.#stream(req, res));
    return this;
  }

  /** Streams currently open. */
  get clients(): number {
    return this.#clients.size;
  }

  /** Ends every stream and stops the timers; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const res of this.#clients) res.end();
    this.#clients.clear();
    this.#stop();
  }

  #asset(res: ServerResponse, body: string, contentType: string): void {
    res.writeHead(200, {
      ...PAGE_HEADERS,
      'content-type': contentType,
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  }

  async #stream(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.#closed || this.#clients.size >= this.#maxClients) {
      res.setHeader('retry-after', '10');
      sendText(res, 503, 'too many dashboard streams\n');
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    res.socket?.setNoDelay(true);
    this.#clients.add(res);
    const remove = () => {
      if (this.#clients.delete(res) && this.#clients.size === 0) this.#stop();
    };
    req.once('close', remove);
    res.once('close', remove);
    if (this.#clients.size === 1) this.#start();
    // EventSource reconnects by itself; a short retry hides edge restarts from the operator.
    res.write('retry: 2000\n\n');
    const document = await this.#sources.routes();
    if (this.#tableVersion === '') this.#tableVersion = tableVersion(document);
    const tick = await this.#readTick({ ...document, tableVersion: tableVersion(document) });
    if (!this.#clients.has(res)) return;
    this.#write(
      res,
      sseFrame('snapshot', {
        type: 'snapshot',
        status: tick.status,
        table: dashboardTable(document, this.#sources.registry?.()),
        tick,
      }),
    );
  }

  #start(): void {
    this.#unsubscribe = this.#sources.subscribe?.(() => this.#scheduleTable());
    this.#tickTimer = setInterval(() => void this.#tick(), this.#tickMs).unref();
    this.#heartbeatTimer = setInterval(() => this.#broadcast(': heartbeat\n\n'), this.#heartbeatMs).unref();
  }

  #stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    clearInterval(this.#tickTimer);
    clearInterval(this.#heartbeatTimer);
    clearTimeout(this.#tableTimer);
    this.#tableTimer = undefined;
  }

  #scheduleTable(): void {
    if (this.#tableTimer !== undefined || this.#clients.size === 0) return;
    const wait = Math.max(0, this.#lastTableAt + this.#tableSpacingMs - this.#now());
    this.#tableTimer = setTimeout(() => {
      this.#tableTimer = undefined;
      void this.#sendTable().catch((error) => this.#readFailed(error));
    }, wait).unref();
  }

  async #sendTable(): Promise<void> {
    const current = await this.#sources.routes();
    const started = performance.now();
    this.#tableVersion = tableVersion(current);
    const status = this.#status(current);
    this.#broadcast(
      sseFrame('table', {
        type: 'table',
        status,
        table: dashboardTable(current, this.#sources.registry?.()),
      }),
    );
    // A large table costs tens of milliseconds to describe and send: space those messages out so
    // that a change storm keeps the dashboard's share of the edge's event loop near 5 %.
    this.#lastTableAt = this.#now();
    this.#tableSpacingMs = Math.max(this.#tableIntervalMs, (performance.now() - started) * 20);
  }

  async #tick(): Promise<void> {
    // A slow source (a busy cluster worker) must not stack ticks up.
    if (this.#ticking || this.#clients.size === 0) return;
    this.#ticking = true;
    try {
      const pulse = await this.#readPulse();
      // Without table notifications (a cluster primary), a changed table is noticed here.
      if (pulse.tableVersion !== this.#tableVersion) this.#scheduleTable();
      const tick = await this.#readTick(pulse);
      this.#broadcast(sseFrame('tick', { type: 'tick', ...tick }));
      if (this.#failing) this.#logger.info('dashboard sources answer again');
      this.#failing = false;
    } catch (error) {
      this.#readFailed(error);
    } finally {
      this.#ticking = false;
    }
  }

  async #readPulse(): Promise<DashboardPulse> {
    if (this.#sources.pulse) return this.#sources.pulse();
    const document = await this.#sources.routes();
    return { ...document, tableVersion: tableVersion(document) };
  }

  async #readTick(pulse: DashboardPulse): Promise<DashboardTick> {
    const rates = this.#rates.sample(this.#now(), await this.#sources.counters());
    return {
      status: this.#status(pulse),
      rates: Object.fromEntries(rates),
      backends: dashboardBackends(pulse),
    };
  }

  #status(document: Omit<RoutesDocument, 'table'>): DashboardStatus {
    return dashboardStatus(
      document,
      this.#sources.ready(),
      this.#sources.scope ?? 'process',
      this.#sources.workers ?? 1,
      this.#now(),
    );
  }

  #readFailed(error: unknown): void {
    // Once per outage, not once per second.
    if (!this.#failing) this.#logger.warn({ err: error }, 'dashboard sources failed');
    this.#failing = true;
  }

  #broadcast(frame: string): void {
    for (const res of this.#clients) this.#write(res, frame);
  }

  #write(res: ServerResponse, frame: string): void {
    if (res.writableLength > MAX_BUFFERED_BYTES) {
      this.#logger.warn({ buffered: res.writableLength }, 'dashboard stream too slow; dropped');
      res.destroy();
      return;
    }
    res.write(frame);
  }
}

let script: string | undefined;

/**
 * The page's script, compiled from `browser/dashboard.ts` next to this module; read once. Run
 * from the TypeScript sources (the in-process tests), it is read from the build output, which
 * the tests build first.
 */
function dashboardScript(): string {
  const fromSources = import.meta.url.endsWith('.ts');
  const path = fromSources ? '../../dist/admin/browser/dashboard.js' : './browser/dashboard.js';
  script ??= readFileSync(new URL(path, import.meta.url), 'utf8');
  return script;
}

function tableVersion(document: RoutesDocument): string {
  return `${document.table.revision}@${document.table.builtAt}`;
}

/**
 * The sources of one edge process: its table, counters and registry state, with a tick that
 * reads only the backends worth showing rather than describing the whole table every second.
 */
export function edgeDashboardSources(edge: Edge): DashboardSources {
  return {
    routes: () => routesDocument(edge.routes, edge.watcher, edge.plane),
    pulse: async () => {
      const now = Date.now();
      const age = edge.watcher.syncAgeMs(now);
      const table = edge.routes.table;
      return {
        dataplane: edge.plane.kind,
        revision: table.revision,
        syncAgeSeconds: Number.isFinite(age) ? age / 1_000 : null,
        synced: edge.watcher.synced,
        backends: (await edge.plane.stats({ onlyNotable: true })).backends,
        tableVersion: `${table.revision}@${new Date(table.builtAt).toISOString()}`,
      };
    },
    counters: async () => (await edge.plane.stats()).requests,
    ready: () => edge.ready,
    registry: () => edge.watcher.state,
    subscribe: (listener) => edge.routes.subscribe(listener),
  };
}
