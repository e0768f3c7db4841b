import { LabelError } from '@wharf/core';
import { ContainerSettings } from '../container-settings.js';

/** What a container asks to be told about its dependencies. */
export interface UpdateSettings {
  /** `wharf.requires`: the services it depends on, each once, in label order. */
  readonly requires: readonly string[];
  /** `wharf.on-change` as the argv Docker runs; undefined when the label is absent. */
  readonly command: readonly string[] | undefined;
  /** `wharf.on-change.timeout`: how long a run may take before the bridge stops waiting. */
  readonly timeoutMs: number;
}

export const UPDATE_DEFAULTS = Object.freeze({ timeoutMs: 30_000 });

/**
 * Reads `wharf.requires`, `wharf.on-change` and `wharf.on-change.timeout` from a container's
 * labels, through the same settings as every other label (`ContainerSettings`). Undefined when
 * the container requires nothing (or is ignored). Throws `LabelError` naming the label and value
 * when one cannot be used.
 */
export function readUpdateSettings(labels: Readonly<Record<string, string>>): UpdateSettings | undefined {
  const settings = new ContainerSettings({ labels, env: [] }, {});
  if (settings.get('wharf.ignore') === true) return undefined;
  const requires = settings.get('wharf.requires') ?? [];
  const command = settings.get('wharf.on-change');
  if (requires.length === 0 && command === undefined) return undefined;
  if (requires.length === 0) {
    throw new LabelError(
      'wharf.on-change',
      labels['wharf.on-change'] ?? '',
      'wharf.requires naming the services it depends on',
    );
  }
  return {
    requires,
    command,
    timeoutMs: settings.get('wharf.on-change.timeout') ?? UPDATE_DEFAULTS.timeoutMs,
  };
}
