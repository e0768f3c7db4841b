import { type EtcdStore, type KeyLayout, type Logger, ServiceWatcher } from '@wharf/core';

export interface DrainWatcherOptions {
  readonly store: EtcdStore;
  readonly layout: KeyLayout;
  readonly logger: Logger;
  /** Called with each instance id whose drain key appeared or went away. */
  readonly onChange: (instanceId: string) => void;
}

/**
 * The operator drains (`<prefix>/drains/<instance-id>`, `wharf drain`) as a `ServiceWatcher` over
 * that prefix alone, so the bridge's memory does not grow with the registry. `isDrained` answers
 * from its state.
 */
export function watchDrains(options: DrainWatcherOptions): {
  readonly watcher: ServiceWatcher;
  readonly isDrained: (instanceId: string) => boolean;
} {
  const { layout, logger } = options;
  const watcher = new ServiceWatcher({
    client: options.store,
    layout,
    prefix: layout.drains,
    logger,
    onUpdate: ({ changes }) => {
      for (const change of changes) {
        if (change.kind !== 'drain' || (change.current !== undefined) === (change.previous !== undefined))
          continue;
        const drained = change.current !== undefined;
        logger.info(
          { component: 'drain-watcher', instanceId: change.parsed.instanceId, drained },
          drained ? 'operator drain set' : 'operator drain cleared',
        );
        options.onChange(change.parsed.instanceId);
      }
    },
  });
  return { watcher, isDrained: (instanceId) => watcher.state.drains.has(layout.drainKey(instanceId)) };
}
