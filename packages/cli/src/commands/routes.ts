import { formatHostPort } from '@wharf/core';
import type { CommandContext } from '../command-context.js';
import { etcdCall } from '../etcd-session.js';
import { readRegistrySnapshot } from '../registry-snapshot.js';
import type { Palette } from '../render/palette.js';
import { renderTable } from '../render/table.js';
import { reportSkipped } from '../report-skipped.js';
import type { RouteViewEndpoint, RouteViewEntry } from '../route-view.js';

/** `wharf routes`: Host + path prefix → endpoints, as the edge routes them. */
export async function routesCommand(context: CommandContext): Promise<void> {
  const snapshot = await etcdCall(context.config.etcd, 'list routes', () =>
    readRegistrySnapshot(context.client, context.config.layout),
  );
  reportSkipped(context, snapshot);
  // Loaded here, not at start: the edge's modules cost the other commands start-up time.
  const { buildRouteView } = await import('../route-view.js');
  const view = buildRouteView(snapshot, context.config.layout);
  context.write(context.json ? `${JSON.stringify(view, null, 2)}\n` : renderRoutes(view, context.palette));
}

function endpointLine(endpoint: RouteViewEndpoint, palette: Palette): string {
  const address = formatHostPort(endpoint.address, endpoint.port);
  if (endpoint.routable) return `${address} ${palette.green('serving')}`;
  if (endpoint.state === 'draining') {
    return palette.dim(`${address} draining${endpoint.operatorDrain ? ' (operator)' : ''}`);
  }
  return palette.dim(`${address} weight 0`);
}

export function renderRoutes(view: readonly RouteViewEntry[], palette: Palette): string {
  if (view.length === 0) return 'no routes\n';
  const rows = view.map((entry) => [
    entry.host,
    entry.pathPrefix,
    entry.services.join('\n'),
    [
      ...(entry.routable ? [] : [palette.red('no serving endpoint (503)')]),
      ...entry.endpoints.map((endpoint) => endpointLine(endpoint, palette)),
    ].join('\n'),
    entry.sources.join('\n'),
  ]);
  return renderTable(['HOST', 'PATH', 'SERVICE', 'ENDPOINTS', 'SOURCE'], rows, palette);
}
