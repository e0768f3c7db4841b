export * from './cli-config.js';
export * from './cli-error.js';
export * from './registry-snapshot.js';
export * from './route-view.js';
