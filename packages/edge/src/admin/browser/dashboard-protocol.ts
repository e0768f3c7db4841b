// The messages the dashboard page receives on `/events`: types only, shared by the edge (which
// sends them) and the page's script (which renders them), so neither can drift from the other.

/** One endpoint as the dashboard shows it: the table's view plus what its record says. */
export interface DashboardEndpoint {
  readonly key: string;
  readonly service: string;
  readonly id: string;
  readonly address: string;
  readonly port: number;
  readonly weight: number;
  readonly state: 'serving' | 'draining';
  /** An operator drain exists for it. */
  readonly drained: boolean;
  readonly zone: string | undefined;
  /** `address:port` (`[v6]:port`): joins the endpoint to its backend's passive health. */
  readonly backend: string;
  /** The bridge's health check, from the record; null when the record carries none or is not at hand. */
  readonly health: { readonly status: string; readonly check: string; readonly since: string } | null;
  readonly node: string | null;
  readonly tags: readonly string[];
  /** An operator drain (`<prefix>/drains/<instance-id>`) of this instance, if any. */
  readonly drain: { readonly reason: string | null; readonly at: string } | null;
}

export interface DashboardRoute {
  /** `host` + `pathPrefix`, as in metrics: the key of this route's rates. */
  readonly id: string;
  readonly pathPrefix: string;
  readonly routable: boolean;
  /** ISO time until which the route is held after losing its last serving endpoint, or null. */
  readonly heldUntil: string | null;
  readonly operatorRoutes: readonly { readonly id: string; readonly service: string }[];
  readonly endpoints: readonly DashboardEndpoint[];
}

export interface DashboardTable {
  readonly revision: number;
  readonly builtAt: string;
  readonly hosts: readonly { readonly host: string; readonly routes: readonly DashboardRoute[] }[];
}

/** The header line: where the table stands against etcd. */
export interface DashboardStatus {
  readonly revision: number;
  readonly synced: boolean;
  readonly ready: boolean;
  /** Seconds since the table was last known to match etcd (0 while the watch is live); null before any sync. */
  readonly syncAgeSeconds: number | null;
  /** `process`: rates and health are this process's; `cluster`: rates sum every worker, the table is one worker's. */
  readonly scope: 'process' | 'cluster';
  readonly workers: number;
  readonly now: string;
}

/** Passive health and load of one backend, sent only for backends that have something to show. */
export interface DashboardBackend {
  readonly active: number;
  readonly ejectedUntil: string | null;
  readonly consecutiveFailures: number;
}

export interface RouteRate {
  /** Requests per second over the window. */
  readonly requestsPerSecond: number;
  /** Share of the window's requests answered 5xx (0..1); null when the window saw none. */
  readonly errorShare: number | null;
  /** Requests and 5xx answers counted since the process (or, clustered, every worker) started. */
  readonly requests: number;
  readonly errors: number;
}

export interface DashboardTick {
  readonly status: DashboardStatus;
  readonly rates: Readonly<Record<string, RouteRate>>;
  readonly backends: Readonly<Record<string, DashboardBackend>>;
}

/** The messages on `/events`: `snapshot` on connect, `table` on each change, `tick` about once a second. */
export type DashboardMessage =
  | {
      readonly type: 'snapshot';
      readonly status: DashboardStatus;
      readonly table: DashboardTable;
      readonly tick: DashboardTick;
    }
  | { readonly type: 'table'; readonly status: DashboardStatus; readonly table: DashboardTable }
  | ({ readonly type: 'tick' } & DashboardTick);
