#!/usr/bin/env node
import { ConfigError, createLogger, EtcdGateway, runProgram, whenAborted } from '@wharf/core';
import { Bridge } from './bridge.js';
import { loadBridgeConfig } from './config.js';
import { DockerClient } from './docker-client.js';

await runProgram({
  name: 'wharf-bridge',
  config: () => loadBridgeConfig(process.env),
  main: async (config, signal) => {
    const logger = await createLogger(config.log, 'wharf-bridge');
    whenAborted(signal, () => logger.info({ signal: signal.reason }, 'shutting down'));
    // etcd's JSON gateway over node:http: a sidecar runs next to every app container, and the
    // gRPC client (etcd3, grpc-js, protobufjs) would cost each one about 17 MB more.
    const store = new EtcdGateway(config.etcd);
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
