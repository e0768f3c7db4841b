#!/usr/bin/env node
import cluster from 'node:cluster';
import { ConfigError, createEtcdClient, createLogger, type Logger } from '@wharf/core';
import { ClusterPrimary } from './admin/cluster-primary.js';
import { connectClusterWorker } from './admin/cluster-worker.js';
import { Edge } from './edge.js';
import { type EdgeConfig, loadEdgeConfig } from './edge-config.js';

let config: EdgeConfig | undefined;
try {
  config = loadEdgeConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`wharf-edge: ${error.message}`);
  process.exitCode = 2;
}

if (config) {
  const logger = await createLogger(config.common.log, 'wharf-edge');
  if (cluster.isPrimary)
    logger.info(
      {
        dataplane: config.dataplane,
        listen: config.listen,
        admin: config.adminListen,
        dns: config.dns.listen ?? 'off',
        workers: config.workers,
      },
      'wharf-edge starting',
    );
  const controller = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => controller.abort());

  try {
    if (config.workers > 1 && cluster.isPrimary) {
      await new ClusterPrimary({ config, logger }).run(controller.signal);
    } else {
      await runEdge(config, logger, controller.signal);
    }
  } catch (error) {
    // Start-up failures (a port in use) end here: one fatal line, non-zero exit.
    logger.fatal({ err: error, code: (error as { code?: string }).code }, 'wharf-edge failed');
    process.exitCode = 1;
  }
}

async function runEdge(config: EdgeConfig, logger: Logger, signal: AbortSignal): Promise<void> {
  // A short reconnect cap: after an etcd outage the watch (and so new routes) is back within ~1 s.
  const client = createEtcdClient(config.common.etcd, { maxReconnectBackoffMs: 1_000 });
  const clustered = cluster.isWorker;
  let disconnect = () => {};
  const edge = new Edge({
    config,
    client,
    logger,
    admin: !clustered,
    onReady: () => process.send?.({ type: 'wharf:ready' }),
  });
  if (clustered) disconnect = connectClusterWorker(edge);
  try {
    await edge.run(signal);
  } finally {
    disconnect();
    client.close();
  }
}
