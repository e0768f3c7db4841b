import type { CommandContext } from '../command-context.js';
import { etcdCall } from '../etcd-session.js';
import { type RegistrySnapshot, readRegistrySnapshot } from '../registry-snapshot.js';
import { formatAge } from '../render/format.js';
import type { Palette } from '../render/palette.js';
import { renderTable } from '../render/table.js';
import { reportSkipped } from '../report-skipped.js';

/** `wharf bridges`: the live bridges (a bridge's key lives on its lease, so listed means alive). */
export async function bridgesCommand(context: CommandContext): Promise<void> {
  const snapshot = await etcdCall(context.config.etcd, 'list bridges', () =>
    readRegistrySnapshot(context.client, context.config.layout),
  );
  reportSkipped(context, snapshot);
  context.write(
    context.json ? bridgesJson(snapshot) : renderBridges(snapshot, context.palette, context.now()),
  );
}

function endpointCounts(snapshot: RegistrySnapshot): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { record } of snapshot.endpoints)
    counts.set(record.bridge, (counts.get(record.bridge) ?? 0) + 1);
  return counts;
}

export function bridgesJson(snapshot: RegistrySnapshot): string {
  const counts = endpointCounts(snapshot);
  const rows = snapshot.bridges.map(({ key, bridgeId, record }) => ({
    key,
    id: bridgeId,
    record,
    endpoints: counts.get(bridgeId) ?? 0,
  }));
  return `${JSON.stringify(rows, null, 2)}\n`;
}

export function renderBridges(snapshot: RegistrySnapshot, palette: Palette, now: number): string {
  if (snapshot.bridges.length === 0) return 'no bridges running\n';
  const counts = endpointCounts(snapshot);
  const rows = snapshot.bridges.map(({ bridgeId, record }) => [
    bridgeId,
    record.mode === 'sidecar' ? palette.cyan('sidecar') : palette.magenta('host'),
    record.node,
    record.target ?? palette.dim('-'),
    record.version,
    formatAge(record.startedAt, now),
    String(counts.get(bridgeId) ?? 0),
  ]);
  return renderTable(['BRIDGE', 'MODE', 'NODE', 'TARGET', 'VERSION', 'AGE', 'ENDPOINTS'], rows, palette);
}
