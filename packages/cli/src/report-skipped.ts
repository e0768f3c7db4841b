import type { CommandContext } from './command-context.js';
import type { RegistrySnapshot } from './registry-snapshot.js';

/** Values that are not usable records are skipped with one warning each, never fatal. */
export function reportSkipped(context: CommandContext, snapshot: RegistrySnapshot): void {
  for (const { key, reason } of snapshot.skipped) {
    context.warn(`skipping ${key}: ${reason}`);
  }
}
