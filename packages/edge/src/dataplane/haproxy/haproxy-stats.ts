import type { BackendStatus } from '../data-plane.js';
import { type ResponseStatus, RouteStats, type UpstreamFailureKind } from '../route-stats.js';

/** One line of `show stat` (CSV), by column name. */
export type StatRow = Readonly<Record<string, string>>;

/** Parses `show stat` output: a `# pxname,svname,…` header and one CSV line per proxy, server. */
export function parseShowStat(csv: string): StatRow[] {
  const lines = csv.split('\n');
  const header = lines[0]?.replace(/^# /, '').split(',') ?? [];
  const rows: StatRow[] = [];
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    const values = line.split(',');
    const row: Record<string, string> = {};
    header.forEach((name, index) => {
      row[name] = values[index] ?? '';
    });
    rows.push(row);
  }
  return rows;
}

/** Backends whose every answer is one status: the edge's own answers. */
const ANSWERS: Readonly<Record<string, number>> = {
  wharf_not_ready: 503,
  wharf_version: 505,
  wharf_transfer_encoding: 501,
  wharf_malformed: 400,
  wharf_method: 400,
  wharf_connect: 405,
  wharf_target: 400,
  wharf_host: 400,
  wharf_no_route: 404,
};

const CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx', 'other'] as const;

/**
 * Request counters per route, kept by the edge across HAProxy's reloads and restarts (each new
 * worker starts from zero) and across slots changing hands (a slot's counts belong to the
 * route it held when they were read). HAProxy counts responses by class per backend; the
 * edge's own answers have backends of their own, so those are exact codes. What only the
 * frontend saw (requests HAProxy refused before routing, such as malformed ones) is the
 * frontend's count minus every backend's, on the unrouted label.
 */
export class HaproxyCounters {
  readonly #totals = new Map<string, Map<ResponseStatus, number>>();
  readonly #failures = new Map<UpstreamFailureKind, number>();
  /** Last values read, per `proxy/field`, to turn HAProxy's running totals into increments. */
  #seen = new Map<string, number>();
  #generation = -1;

  /**
   * Adds what happened since the last reading. `generation` changes when HAProxy started over
   * (reload, restart): its counters did too.
   */
  update(rows: readonly StatRow[], slotRoutes: ReadonlyMap<string, string>, generation: number): void {
    // A reading taken before HAProxy started over, answered after: already superseded.
    if (generation < this.#generation) return;
    if (generation !== this.#generation) {
      this.#generation = generation;
      this.#seen = new Map();
    }
    const frontend = new Map<string, number>();
    const routed = new Map<string, number>();
    for (const row of rows) {
      const proxy = row.pxname ?? '';
      if (row.type === '0' && proxy === 'wharf') {
        for (const status of CLASSES)
          frontend.set(status, this.#delta(`${proxy}/hrsp_${status}`, row[`hrsp_${status}`]));
        continue;
      }
      if (row.type === '2') {
        // eresp counts invalid responses and, among them, srv_abrt: the server closed or reset.
        const aborted = this.#delta(`${proxy}/${row.svname}/srv_abrt`, row.srv_abrt);
        this.#addFailure('connect', this.#delta(`${proxy}/${row.svname}/econ`, row.econ));
        this.#addFailure('reset', aborted);
        this.#addFailure(
          'invalid_response',
          this.#delta(`${proxy}/${row.svname}/eresp`, row.eresp) - aborted,
        );
        continue;
      }
      if (row.type !== '1') continue;
      const answer = ANSWERS[proxy];
      const route = answer === undefined ? slotRoutes.get(proxy) : RouteStats.UNROUTED;
      for (const status of CLASSES) {
        const count = this.#delta(`${proxy}/hrsp_${status}`, row[`hrsp_${status}`]);
        if (count === 0) continue;
        routed.set(status, (routed.get(status) ?? 0) + count);
        // A slot that holds no route now: counts of a route that just left it (lost, rarely).
        if (route === undefined) continue;
        this.#add(route, answer ?? status, count);
      }
    }
    for (const status of CLASSES) {
      const unrouted = (frontend.get(status) ?? 0) - (routed.get(status) ?? 0);
      if (unrouted > 0) this.#add(RouteStats.UNROUTED, status, unrouted);
    }
  }

  /** Requests per route and status since start. */
  *requests(): IterableIterator<{ route: string; byStatus: ReadonlyMap<ResponseStatus, number> }> {
    for (const [route, byStatus] of this.#totals) yield { route, byStatus };
  }

  /** Failed upstream attempts by kind since start. */
  get failures(): ReadonlyMap<UpstreamFailureKind, number> {
    return this.#failures;
  }

  #delta(key: string, value: string | undefined): number {
    const current = Number(value) || 0;
    const previous = this.#seen.get(key) ?? 0;
    this.#seen.set(key, current);
    return current >= previous ? current - previous : current;
  }

  #add(route: string, status: ResponseStatus, count: number): void {
    let byStatus = this.#totals.get(route);
    if (byStatus === undefined) {
      byStatus = new Map();
      this.#totals.set(route, byStatus);
    }
    byStatus.set(status, (byStatus.get(status) ?? 0) + count);
  }

  #addFailure(kind: UpstreamFailureKind, count: number): void {
    if (count > 0) this.#failures.set(kind, (this.#failures.get(kind) ?? 0) + count);
  }
}

/**
 * Per backend (`address:port` of the records, over every pool that uses it): requests in
 * flight, and whether passive health has it marked down — until when, roughly: HAProxy checks
 * a down server every `ejectionMs` and brings it back on the first check that connects.
 */
export function backendStates(
  rows: readonly StatRow[],
  serverBackends: ReadonlyMap<string, string>,
  ejectionMs: number,
  now: number,
): BackendStatus[] {
  const states = new Map<string, { active: number; downSince: number | undefined; failures: number }>();
  for (const row of rows) {
    if (row.type !== '2') continue;
    const backend = serverBackends.get(`${row.pxname}/${row.svname}`);
    if (backend === undefined) continue;
    const state = states.get(backend) ?? { active: 0, downSince: undefined, failures: 0 };
    state.active += Number(row.scur) || 0;
    if (row.status?.startsWith('DOWN')) {
      const since = now - (Number(row.lastchg) || 0) * 1_000;
      state.downSince = Math.max(state.downSince ?? 0, since);
      // Three failures in a row mark a server down (error-limit 3).
      state.failures = Math.max(state.failures, 3);
    }
    states.set(backend, state);
  }
  return [...states]
    .map(([backend, state]) => {
      let ejectedUntil: string | null = null;
      if (state.downSince !== undefined) {
        // The next check is due one ejection time after the last one.
        const elapsed = Math.max(0, now - state.downSince);
        const next = state.downSince + (Math.floor(elapsed / ejectionMs) + 1) * ejectionMs;
        ejectedUntil = new Date(next).toISOString();
      }
      return { backend, active: state.active, ejectedUntil, consecutiveFailures: state.failures };
    })
    .sort((a, b) => a.backend.localeCompare(b.backend));
}
