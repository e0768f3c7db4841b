import { formatHostPort } from '@wharf/core';
import type { CommandContext } from '../command-context.js';
import { etcdCall } from '../etcd-session.js';
import { type RegistrySnapshot, readRegistrySnapshot } from '../registry-snapshot.js';
import { formatAge, formatHealth, formatRoute, formatState } from '../render/format.js';
import type { Palette } from '../render/palette.js';
import { renderTable } from '../render/table.js';
import { reportSkipped } from '../report-skipped.js';

/** `wharf ls [service]`: every registered endpoint, one row each. */
export async function lsCommand(context: CommandContext, service: string | undefined): Promise<void> {
  const snapshot = await etcdCall(context.config.etcd, 'list endpoints', () =>
    readRegistrySnapshot(context.client, context.config.layout),
  );
  reportSkipped(context, snapshot);
  context.write(
    context.json ? lsJson(snapshot, service) : renderLs(snapshot, service, context.palette, context.now()),
  );
}

export function selectEndpoints(snapshot: RegistrySnapshot, service: string | undefined) {
  return snapshot.endpoints.filter((entry) => service === undefined || entry.service === service);
}

export function lsJson(snapshot: RegistrySnapshot, service: string | undefined): string {
  const rows = selectEndpoints(snapshot, service).map(({ key, record, instanceId }) => ({
    key,
    record,
    drain: snapshot.drainOf(instanceId) ?? null,
  }));
  return `${JSON.stringify(rows, null, 2)}\n`;
}

export function renderLs(
  snapshot: RegistrySnapshot,
  service: string | undefined,
  palette: Palette,
  now: number,
): string {
  const entries = selectEndpoints(snapshot, service);
  if (entries.length === 0) {
    return service === undefined
      ? 'no endpoints registered\n'
      : `no endpoints registered for service ${service}\n`;
  }
  const rows = entries.map(({ record, instanceId }) => [
    record.service,
    instanceId,
    formatHostPort(record.address, record.port),
    formatState(record.state, snapshot.drainOf(instanceId), palette),
    formatHealth(record.health, palette),
    record.node,
    formatAge(record.registeredAt, now),
    record.routes.length === 0 ? palette.dim('-') : record.routes.map(formatRoute).join('\n'),
  ]);
  return renderTable(
    ['SERVICE', 'INSTANCE', 'ADDRESS', 'STATE', 'HEALTH', 'NODE', 'AGE', 'ROUTES'],
    rows,
    palette,
  );
}
