#!/usr/bin/env node
import cluster from 'node:cluster';
import { ConfigError, createEtcdClient, createLogger } from '@wharf/core';
import { ClusterPrimary } from './cluster-primary.js';
import { connectClusterWorker } from './cluster-worker.js';
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
  const controller = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => controller.abort());

  if (config.workers > 1 && cluster.isPrimary) {
    await new ClusterPrimary({ config, logger }).run(controller.signal);
  } else {
    const client = createEtcdClient(config.common.etcd);
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
      await edge.run(controller.signal);
    } finally {
      disconnect();
      client.close();
    }
  }
}
