import {
  type EndpointRecord,
  formatHostPort,
  isServing,
  type RegistryChange,
  ServiceWatcher,
} from '@wharf/core';
import type { CommandContext } from '../command-context.js';
import { etcdCall } from '../etcd-session.js';
import { compare } from '../registry-snapshot.js';
import type { Palette } from '../render/palette.js';

export type WatchEventKind = 'add' | 'drain' | 'update' | 'remove' | 'operator-drain' | 'operator-undrain';

export interface WatchEvent {
  readonly event: WatchEventKind;
  /** ISO time the change was seen. */
  readonly at: string;
  readonly service: string;
  readonly id: string;
  readonly key: string;
  /** The endpoint as it is now (as it was, for `remove`); absent for operator drain events. */
  readonly record?: EndpointRecord;
  readonly reason?: string;
}

/**
 * What one registry change means to an operator, or undefined when it is not about `service`.
 * `drain` is an endpoint that stopped serving by core's `isServing` (`drained` says whether an
 * operator drain exists for an instance); `wharf drain` itself shows as `operator-drain`.
 */
export function describeChange(
  change: RegistryChange,
  service: string | undefined,
  at: string,
  drained: (instanceId: string) => boolean = () => false,
): WatchEvent | undefined {
  if (change.kind === 'endpoint') {
    if (service !== undefined && change.parsed.service !== service) return undefined;
    const { current, previous } = change;
    const record = (current ?? previous) as EndpointRecord;
    const operatorDrain = drained(change.parsed.instanceId);
    const event: WatchEventKind = !current
      ? 'remove'
      : !previous
        ? 'add'
        : isServing(previous, operatorDrain) && !isServing(current, operatorDrain)
          ? 'drain'
          : 'update';
    return {
      event,
      at,
      service: change.parsed.service,
      id: change.parsed.instanceId,
      key: change.key,
      record,
    };
  }
  if (change.kind === 'drain') {
    const drain = change.current ?? change.previous;
    if (!drain || (service !== undefined && drain.service !== service)) return undefined;
    return {
      event: change.current ? 'operator-drain' : 'operator-undrain',
      at,
      service: drain.service,
      id: change.parsed.instanceId,
      key: change.key,
      ...(change.current?.reason ? { reason: change.current.reason } : {}),
    };
  }
  return undefined;
}

const EVENT_COLOURS: Record<WatchEventKind, keyof Palette> = {
  add: 'green',
  drain: 'yellow',
  update: 'cyan',
  remove: 'red',
  'operator-drain': 'yellow',
  'operator-undrain': 'green',
};

/** One line per change: time, event, service, instance, address, state. */
export function renderWatchLine(event: WatchEvent, palette: Palette): string {
  const colour = palette[EVENT_COLOURS[event.event]] as (text: string) => string;
  const time = event.at.slice(11, 19);
  const parts = [palette.dim(time), colour(event.event.padEnd(16)), event.service, event.id];
  if (event.record) parts.push(formatHostPort(event.record.address, event.record.port), event.record.state);
  if (event.reason) parts.push(`(${event.reason})`);
  return `${parts.join(' ')}\n`;
}

export function watchJsonLine(event: WatchEvent): string {
  return `${JSON.stringify(event)}\n`;
}

export interface WatchOptions {
  /** Skip the initial list instead of printing it as adds. */
  readonly changesOnly: boolean;
}

/** `wharf watch [service]`: streams changes until `signal` aborts (Ctrl-C). */
export async function watchCommand(
  context: CommandContext,
  service: string | undefined,
  options: WatchOptions,
  signal: AbortSignal,
): Promise<void> {
  const { config, client } = context;
  // Fail fast on an unreachable etcd; later outages are ridden out by the watcher.
  await etcdCall(config.etcd, 'watch the registry', () => client.getAll().prefix(config.layout.root).count());
  let initial = true;
  const watcher = new ServiceWatcher({
    client,
    layout: config.layout,
    logger: context.logger,
    onUpdate: ({ changes, state }) => {
      const first = initial;
      initial = false;
      if (first && options.changesOnly) return;
      const at = new Date(context.now()).toISOString();
      const drained = (instanceId: string) => state.drains.has(config.layout.drainKey(instanceId));
      const events: WatchEvent[] = [];
      for (const change of changes) {
        const event = describeChange(change, service, at, drained);
        if (event) events.push(event);
      }
      if (first) events.sort((a, b) => compare(a.service, b.service) || compare(a.id, b.id));
      for (const event of events) {
        context.write(context.json ? watchJsonLine(event) : renderWatchLine(event, context.palette));
      }
    },
  });
  await watcher.run(signal);
}
