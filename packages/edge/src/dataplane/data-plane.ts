import type { Registry } from 'prom-client';
import type { RouteTableResult } from '../routing/route-table-builder.js';
import type { TlsState } from '../tls/tls-state.js';
import type { RouteCounters, UpstreamFailureKind } from './route-stats.js';

/** Which proxy carries the traffic: the in-process Node proxy, or HAProxy driven live. */
export type DataPlaneKind = 'builtin' | 'haproxy';

export const DATA_PLANE_KINDS: readonly DataPlaneKind[] = ['builtin', 'haproxy'];

/** Passive health and load of one backend (`address:port`), as `/routes` and the dashboard show it. */
export interface BackendStatus {
  readonly backend: string;
  /** Requests in flight to it. */
  readonly active: number;
  /** ISO time until which it is ejected, or null. */
  readonly ejectedUntil: string | null;
  readonly consecutiveFailures: number;
}

/** What a data plane counted since it started. */
export interface DataPlaneStats {
  /** Requests answered, by route (`host` + `pathPrefix`, `-` when none matched) and status. */
  readonly requests: Iterable<RouteCounters>;
  /** Failed upstream attempts by kind (a retried attempt counts too). */
  readonly failures: ReadonlyMap<UpstreamFailureKind, number>;
  /** Backends the plane knows (with `onlyNotable`: only those in use, failing or ejected). */
  readonly backends: readonly BackendStatus[];
}

/**
 * The seam between the edge's controller (etcd watch → route table) and the proxy that carries
 * the traffic. The controller builds every table off to the side and hands it over in order; a
 * plane turns tables into forwarding (an in-process swap, or HAProxy Runtime API commands), owns
 * its listeners and processes, and reports what it counted.
 */
export interface DataPlane {
  readonly kind: DataPlaneKind;
  /**
   * Starts serving (listeners, child processes) and resolves after a graceful stop once `signal`
   * aborts. Rejects when the plane cannot start (a port in use, no usable proxy binary).
   */
  run(signal: AbortSignal): Promise<void>;
  /**
   * A new route table and what its batch changed, in order, synchronously from the etcd watch.
   * Never blocks and never throws: a plane that must apply asynchronously queues and coalesces.
   */
  apply(change: RouteTableResult): void;
  /**
   * New certificates or ACME challenges, in order. A plane serves the certificates by SNI on its
   * TLS listener, answers the challenges (HTTP-01 on the plain listener, TLS-ALPN-01 on the TLS
   * one) and changes certificates without dropping connections. Never blocks, never throws.
   */
  applyTls(state: TlsState): void;
  /** The first full sync is applied: start-up is over, requests held until now may go. */
  open(): void;
  /**
   * True once the plane routes by the table it was opened with: `/readyz` waits for it. The
   * built-in plane is ready when opened; HAProxy once it runs and has applied that table.
   */
  readonly ready: boolean;
  /** Counters and backend states, for `/metrics`, `/routes` and the dashboard. */
  stats(options?: { readonly onlyNotable?: boolean }): Promise<DataPlaneStats> | DataPlaneStats;
  /** Registers the plane's own Prometheus metrics (beyond what `stats()` carries). */
  registerMetrics(registry: Registry): void;
}
