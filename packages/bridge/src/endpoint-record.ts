import { type EndpointRecord, type EndpointState, RECORD_VERSION } from '@wharf/core';
import type { DesiredEndpoint } from './endpoint-derivation.js';

export interface EndpointStatus {
  readonly node: string;
  readonly bridgeId: string;
  readonly state: EndpointState;
  /** When the check last turned passing (ISO time). */
  readonly healthySince: string;
  /** When this key was first written for the current run of the container (ISO time). */
  readonly registeredAt: string;
}

/**
 * The record written for one endpoint. Keys are always in the same order and every time in it is
 * fixed while nothing changes, so encoding the same state twice gives the same string and the
 * writer can skip the put.
 */
export function buildEndpointRecord(endpoint: DesiredEndpoint, status: EndpointStatus): EndpointRecord {
  return {
    v: RECORD_VERSION,
    service: endpoint.service,
    id: endpoint.instanceId,
    address: endpoint.address,
    port: endpoint.port,
    protocol: endpoint.protocol,
    node: status.node,
    bridge: status.bridgeId,
    container: { id: endpoint.container.id, name: endpoint.container.name, image: endpoint.container.image },
    tags: [...endpoint.tags],
    weight: endpoint.weight,
    routes: endpoint.routes.map((route) => ({ ...route })),
    state: status.state,
    health: { check: endpoint.check.description, status: 'passing', since: status.healthySince },
    registeredAt: status.registeredAt,
  };
}
