#!/usr/bin/env node
import {
  ConfigError,
  createEtcdClient,
  createLogger,
  etcd3Store,
  runProgram,
  whenAborted,
} from '@wharf/core';
import { Bridge } from './bridge.js';
import { loadBridgeConfig } from './config.js';
import { DockerClient } from './docker-client.js';

await runProgram({
  name: 'wharf-bridge',
  config: () => loadBridgeConfig(process.env),
  main: async (config, signal) => {
    const logger = await createLogger(config.log, 'wharf-bridge');
    whenAborted(signal, () => logger.info({ signal: signal.reason }, 'shutting down'));
    // Registrations should be back within a second or two of etcd returning.
    const store = etcd3Store(createEtcdClient(config.etcd, { maxReconnectBackoffMs: 1_000 }));
    try {
      await new Bridge({ config, docker: new DockerClient(config.docker), store, logger }).run(signal);
    } catch (error) {
      logger.fatal({ err: error, code: (error as { code?: string }).code }, 'bridge failed');
      throw error;
    } finally {
      store.close();
    }
  },
  onFailure: (error, codes) => {
    // A setting found wrong only at run time (the Docker daemon's name) still gets its one line.
    if (error instanceof ConfigError) process.stderr.write(`wharf-bridge: ${error.message}\n`);
    return codes.failure;
  },
});
