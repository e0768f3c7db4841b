// The public API of @wharf/bridge: the bridge and its configuration, for embedding it.
export { Bridge, type BridgeOptions } from './bridge.js';
export { type BridgeConfig, loadBridgeConfig } from './config.js';
export { DockerClient, type DockerEndpoint } from './docker-client.js';
