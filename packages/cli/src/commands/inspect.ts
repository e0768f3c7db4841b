import { type BridgeRecord, type DrainRecord, type EndpointRecord, isServing } from '@wharf/core';
import { NotFoundError } from '../cli-error.js';
import type { CommandContext } from '../command-context.js';
import { etcdCall } from '../etcd-session.js';
import { readRegistrySnapshot } from '../registry-snapshot.js';
import type { Palette } from '../render/palette.js';

export interface LeaseInfo {
  readonly id: string;
  /** Seconds left; -1 when the lease has expired or been revoked. */
  readonly ttlSeconds: number;
  readonly grantedTtlSeconds: number;
}

export interface Inspection {
  readonly kind: 'endpoint' | 'bridge';
  readonly key: string;
  readonly record: EndpointRecord | BridgeRecord;
  readonly lease: LeaseInfo | null;
  readonly drain: DrainRecord | null;
  /** Endpoints: whether it takes new requests (core's `isServing`: its state and any operator drain). */
  readonly serving?: boolean;
}

/** `wharf inspect <id>`: the full record of an endpoint (or bridge), its key and its lease. */
export async function inspectCommand(context: CommandContext, id: string): Promise<void> {
  const { config, client } = context;
  const snapshot = await etcdCall(config.etcd, 'read the registry', () =>
    readRegistrySnapshot(client, config.layout),
  );
  const endpoint = snapshot.endpoints.find((entry) => entry.instanceId === id);
  const bridge = snapshot.bridges.find((entry) => entry.bridgeId === id);
  const found = endpoint ?? bridge;
  if (!found)
    throw new NotFoundError(
      `no endpoint or bridge with id ${id} is registered (see wharf ls, wharf bridges)`,
    );

  let lease: LeaseInfo | null = null;
  if (found.lease !== '0') {
    const response = await etcdCall(config.etcd, 'read the lease', () =>
      client.leaseClient.leaseTimeToLive({ ID: found.lease }),
    );
    lease = {
      id: BigInt(found.lease).toString(16),
      ttlSeconds: Number(response.TTL),
      grantedTtlSeconds: Number(response.grantedTTL),
    };
  }
  const drain = endpoint ? (snapshot.drainOf(id) ?? null) : null;
  const inspection: Inspection = {
    kind: endpoint ? 'endpoint' : 'bridge',
    key: found.key,
    record: found.record,
    lease,
    drain,
    ...(endpoint ? { serving: isServing(endpoint.record, drain !== null) } : {}),
  };
  context.write(
    context.json ? `${JSON.stringify(inspection, null, 2)}\n` : renderInspection(inspection, context.palette),
  );
}

export function renderInspection(inspection: Inspection, palette: Palette): string {
  const lines = [`${palette.bold('key')}    ${inspection.key}`];
  const { lease } = inspection;
  lines.push(
    `${palette.bold('lease')}  ${
      lease === null
        ? palette.dim('none')
        : lease.ttlSeconds < 0
          ? `${lease.id} ${palette.red('expired')}`
          : `${lease.id} (${lease.ttlSeconds}s of ${lease.grantedTtlSeconds}s left)`
    }`,
  );
  if (inspection.kind === 'endpoint') {
    const drain = inspection.drain;
    lines.push(
      `${palette.bold('drain')}  ${
        drain === null
          ? palette.dim('none')
          : palette.yellow(`by operator at ${drain.at}${drain.reason ? `: ${drain.reason}` : ''}`)
      }`,
    );
  }
  lines.push(JSON.stringify(inspection.record, null, 2));
  return `${lines.join('\n')}\n`;
}
