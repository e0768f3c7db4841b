import { addressesVariable, clashingServices, isValidName, LabelError, parseDuration } from '@wharf/core';

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

const LABELS = {
  requires: 'wharf.requires',
  onChange: 'wharf.on-change',
  timeout: 'wharf.on-change.timeout',
  ignore: 'wharf.ignore',
} as const;

/**
 * Reads `wharf.requires`, `wharf.on-change` and `wharf.on-change.timeout` from a container's
 * labels. Undefined when the container requires nothing (or is ignored). Throws `LabelError`
 * naming the label and value when one cannot be used.
 *
 * The command takes Dockerfile's two forms: a JSON array is run as it is (`["/app/reload",
 * "--quick"]`, no shell needed); anything else runs as `/bin/sh -c '<command>'`.
 */
export function readUpdateSettings(labels: Readonly<Record<string, string>>): UpdateSettings | undefined {
  if (/^(true|1|yes)$/i.test(labels[LABELS.ignore]?.trim() ?? '')) return undefined;
  const requiresText = labels[LABELS.requires]?.trim() ?? '';
  const commandText = labels[LABELS.onChange]?.trim() ?? '';
  if (requiresText === '' && commandText === '') return undefined;
  const requires = [
    ...new Set(
      requiresText
        .split(',')
        .map((service) => service.trim())
        .filter((service) => service !== ''),
    ),
  ];
  if (requires.length === 0) {
    throw new LabelError(
      LABELS.onChange,
      commandText,
      `${LABELS.requires} naming the services it depends on`,
    );
  }
  if (requires.length > 64 || !requires.every(isValidName)) {
    throw new LabelError(LABELS.requires, requiresText, 'a comma list of up to 64 service names');
  }
  const clash = clashingServices(requires);
  if (clash) {
    throw new LabelError(
      LABELS.requires,
      requiresText,
      `services with distinct variables (${clash[0]} and ${clash[1]} are both ${addressesVariable(clash[0])})`,
    );
  }
  const timeoutText = labels[LABELS.timeout]?.trim();
  const timeoutMs = timeoutText ? parseDuration(timeoutText) : UPDATE_DEFAULTS.timeoutMs;
  if (timeoutMs === undefined || timeoutMs < 100 || timeoutMs > 600_000) {
    throw new LabelError(LABELS.timeout, timeoutText ?? '', 'a duration from 100ms to 10m, such as 30s');
  }
  return { requires, command: commandText === '' ? undefined : parseCommand(commandText), timeoutMs };
}

function parseCommand(text: string): readonly string[] {
  if (!text.startsWith('[')) return ['/bin/sh', '-c', text];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length === 0 ||
    !parsed.every((part): part is string => typeof part === 'string' && part !== '' && !part.includes('\0'))
  ) {
    throw new LabelError(
      LABELS.onChange,
      text,
      'a shell command, or a JSON array of strings such as ["/app/reload"]',
    );
  }
  return parsed;
}
