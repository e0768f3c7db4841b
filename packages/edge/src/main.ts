#!/usr/bin/env node
import cluster from 'node:cluster';
import { createEtcdClient, createLogger, type Logger, runProgram } from '@wharf/core';
import { ClusterPrimary } from './admin/cluster-primary.js';
import { connectClusterWorker } from './admin/cluster-worker.js';
import { Edge } from './edge.js';
import { type EdgeConfig, loadEdgeConfig } from './edge-config.js';

await runProgram({
  name: 'wharf-edge',
  config: () => loadEdgeConfig(process.env),
  main: async (config, signal) => {
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
    try {
      // HAProxy runs WHARF_WORKERS threads in one process; only the built-in plane forks workers.
      if (config.workers > 1 && config.dataplane === 'builtin' && cluster.isPrimary) {
        await new ClusterPrimary({ config, logger }).run(signal);
      } else {
        await runEdge(config, logger, signal);
      }
    } catch (error) {
      // Start-up failures (a port in use) end here: one fatal line, non-zero exit.
      logger.fatal({ err: error, code: (error as { code?: string }).code }, 'wharf-edge failed');
      throw error;
    }
  },
  // The fatal log line above already said it.
  onFailure: (_error, codes) => codes.failure,
});

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
