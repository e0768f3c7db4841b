// The public API of @wharf/edge: the pure route table (what `wharf routes` shows), the edge
// itself for embedding, its configuration, and the data-plane seam.

export type { RoutesDocument } from './admin/edge-admin.js';
export type { AccessLogEntry } from './dataplane/access-log.js';
export type {
  BackendStatus,
  DataPlane,
  DataPlaneKind,
  DataPlaneStats,
} from './dataplane/data-plane.js';
export {
  HaproxyDataPlane,
  type HaproxyDataPlaneOptions,
} from './dataplane/haproxy/haproxy-data-plane.js';
export { Edge, type EdgeOptions } from './edge.js';
export { type EdgeConfig, loadEdgeConfig, readEdgeConfig } from './edge-config.js';
export {
  type EndpointDescription,
  HostRoutes,
  type RouteEndpoint,
  RoutePool,
  RouteTable,
  type RouteTableDescription,
} from './routing/route-table.js';
export {
  RouteTableBuilder,
  type RouteTableBuilderOptions,
  type RouteTableResult,
} from './routing/route-table-builder.js';
export { renewalTime } from './tls/renewal-policy.js';
export type { TlsState } from './tls/tls-state.js';
