// The public API of @wharf/cli, for scripts that want the CLI's views without its output.
export { type ConnectionFlags, readCliConfig } from './cli-config.js';
export { EXIT, NotFoundError } from './cli-error.js';
export { type RegistrySnapshot, readRegistrySnapshot } from './registry-snapshot.js';
export { buildRouteView, type RouteViewEndpoint, type RouteViewEntry } from './route-view.js';
