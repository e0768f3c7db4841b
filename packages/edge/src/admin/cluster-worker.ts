import { AggregatorRegistry } from 'prom-client';
import type { Edge } from '../edge.js';
import { type ClusterMessage, isClusterMessage } from './cluster-primary.js';
import { routesDocument } from './edge-admin.js';

/**
 * Wires one edge running as a node:cluster worker to the primary: reports readiness, answers
 * `/routes` requests and lets prom-client's aggregator collect this worker's registry.
 * Returns the function that undoes it.
 */
export function connectClusterWorker(edge: Edge): () => void {
  AggregatorRegistry.setRegistries([edge.metrics.registry]);
  // Constructing one installs prom-client's worker-side listener for metric requests.
  new AggregatorRegistry();
  const send = (message: ClusterMessage) => process.send?.(message);
  const onMessage = async (message: unknown) => {
    if (isClusterMessage(message) && message.type === 'wharf:routes-request') {
      send({
        type: 'wharf:routes-response',
        id: message.id,
        document: await routesDocument(edge.routes, edge.watcher, edge.plane),
      });
    }
  };
  process.on('message', onMessage);
  if (edge.ready) send({ type: 'wharf:ready' });
  return () => {
    process.off('message', onMessage);
    // prom-client's listener would keep the IPC channel, and so the worker, alive.
    process.disconnect?.();
  };
}
