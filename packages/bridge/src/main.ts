#!/usr/bin/env node
import { ConfigError, createEtcdClient, createLogger } from '@wharf/core';
import { Bridge } from './bridge.js';
import { type BridgeConfig, loadBridgeConfig } from './config.js';
import { DockerClient } from './docker-client.js';

let config: BridgeConfig;
try {
  config = loadBridgeConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`wharf-bridge: ${error.message}\n`);
  process.exit(2);
}

const logger = await createLogger(config.log, 'wharf-bridge');
const controller = new AbortController();
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    logger.info({ signal }, 'shutting down');
    controller.abort();
  });
}

const docker = new DockerClient(config.docker);
// Registrations should be back within a second or two of etcd returning.
const etcd = createEtcdClient(config.etcd, { maxReconnectBackoffMs: 1_000 });
try {
  await new Bridge({ config, docker, etcd, logger }).run(controller.signal);
} catch (error) {
  logger.fatal({ err: error, code: (error as { code?: string }).code }, 'bridge failed');
  if (error instanceof ConfigError) process.stderr.write(`wharf-bridge: ${error.message}\n`);
  process.exitCode = 1;
} finally {
  etcd.close();
}
