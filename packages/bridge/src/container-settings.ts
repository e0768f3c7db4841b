import {
  addressesVariable,
  booleanSetting,
  clashingServices,
  durationSetting,
  integerSetting,
  isValidName,
  LabelError,
  listSetting,
  nameSetting,
  oneOfSetting,
  type Parsed,
  parseSetting,
  pathPrefix,
  routeHost,
  type Setting,
  textSetting,
} from '@wharf/core';
import {
  type CheckKind,
  checkCountSetting,
  checkIntervalSetting,
  checkKindSetting,
  checkTimeoutSetting,
} from './check-spec.js';
import type { ContainerFacts } from './container-facts.js';

export interface WantedPort {
  readonly port: number;
  readonly protocol: 'tcp' | 'udp';
}

const portsSetting: Setting<WantedPort[]> = textSetting(
  'a comma list of container ports such as 8080 or 53/udp',
  (text) => {
    const ports: WantedPort[] = [];
    for (const item of text.split(',')) {
      const match = /^(\d{1,5})(?:\/(tcp|udp))?$/.exec(item.trim());
      const port = Number(match?.[1]);
      if (!match || port < 1 || port > 65_535) return undefined;
      ports.push({ port, protocol: (match[2] as 'tcp' | 'udp' | undefined) ?? 'tcp' });
    }
    return ports;
  },
);

const tagsSetting: Setting<string[]> = listSetting().refine(
  (tags) => tags.length <= 64 && tags.every((tag) => tag.length <= 256),
  'at most 64 tags of up to 256 characters',
);

const hostsSetting: Setting<string[]> = textSetting(
  'one to 64 host names such as web.example.com or *.example.com, comma-separated',
  (text) => {
    const hosts: string[] = [];
    for (const item of text.split(',')) {
      if (item.trim() === '') continue;
      const parsed = routeHost.safeParse(item.trim());
      if (!parsed.success) return undefined;
      hosts.push(parsed.data);
    }
    return hosts.length >= 1 && hosts.length <= 64 ? hosts : undefined;
  },
);

/** `wharf.requires`: services, each once, in label order; two that share a variable cannot go together. */
const requiresSetting: Setting<string[]> = listSetting()
  .transform((services) => [...new Set(services)])
  .refine(
    (services) => services.length <= 64 && services.every(isValidName),
    'a comma list of up to 64 service names',
  )
  .superRefine((services, context) => {
    const clash = clashingServices(services);
    if (clash)
      context.addIssue({
        code: 'custom',
        message: `services with distinct variables (${clash[0]} and ${clash[1]} are both ${addressesVariable(clash[0])})`,
      });
  });

/**
 * `wharf.on-change` as the argv Docker runs, in Dockerfile's two forms: a JSON array is run as it
 * is (`["/app/reload", "--quick"]`, no shell needed); anything else runs as `/bin/sh -c '<command>'`.
 */
const commandSetting: Setting<readonly string[]> = textSetting(
  'a shell command, or a JSON array of strings such as ["/app/reload"]',
  (text) => {
    if (!text.startsWith('[')) return ['/bin/sh', '-c', text];
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return undefined;
    }
    const argv =
      Array.isArray(parsed) &&
      parsed.length > 0 &&
      parsed.every((part): part is string => typeof part === 'string' && part !== '' && !part.includes('\0'));
    return argv ? (parsed as string[]) : undefined;
  },
);

/** Every per-container setting, by label name, with what it parses to. */
export const LABEL_SETTINGS = {
  'wharf.service': nameSetting(),
  'wharf.port': portsSetting,
  'wharf.tags': tagsSetting,
  'wharf.http.host': hostsSetting,
  'wharf.http.path': textSetting('a path prefix starting with /, such as /api', (text) => {
    const parsed = pathPrefix.safeParse(text);
    return parsed.success ? parsed.data : undefined;
  }),
  'wharf.weight': integerSetting({ min: 0, max: 10_000 }),
  'wharf.check': checkKindSetting,
  'wharf.check.interval': checkIntervalSetting,
  'wharf.check.timeout': checkTimeoutSetting,
  'wharf.check.rise': checkCountSetting,
  'wharf.check.fall': checkCountSetting,
  'wharf.ignore': booleanSetting(),
  'wharf.tls': oneOfSetting(['auto', 'off']),
  'wharf.http.redirect': oneOfSetting(['https']),
  'wharf.http.hsts': integerSetting({ min: 0, max: 63_072_000 }),
  'wharf.requires': requiresSetting,
  'wharf.on-change': commandSetting,
  'wharf.on-change.timeout': durationSetting({ minMs: 100, maxMs: 600_000 }),
} satisfies Record<string, Setting<unknown>>;

export type LabelName = keyof typeof LABEL_SETTINGS;
type LabelValue<L extends LabelName> = (typeof LABEL_SETTINGS)[L] extends Setting<infer T> ? T : never;

/** The bridge's own env names (sidecar mode) for each label. */
export const SIDECAR_ENV: Readonly<Partial<Record<LabelName, string>>> = Object.freeze({
  'wharf.service': 'WHARF_SERVICE',
  'wharf.port': 'WHARF_PORT',
  'wharf.tags': 'WHARF_TAGS',
  'wharf.http.host': 'WHARF_HTTP_HOST',
  'wharf.http.path': 'WHARF_HTTP_PATH',
  'wharf.weight': 'WHARF_WEIGHT',
  'wharf.check': 'WHARF_CHECK',
  'wharf.check.interval': 'WHARF_CHECK_INTERVAL',
  'wharf.check.timeout': 'WHARF_CHECK_TIMEOUT',
  'wharf.check.rise': 'WHARF_CHECK_RISE',
  'wharf.check.fall': 'WHARF_CHECK_FALL',
  'wharf.tls': 'WHARF_TLS',
  'wharf.http.redirect': 'WHARF_HTTP_REDIRECT',
  'wharf.http.hsts': 'WHARF_HTTP_HSTS',
});

/** Registrator's container env names, read when no label (or sidecar env) says otherwise. */
export const REGISTRATOR_ENV: Readonly<Partial<Record<LabelName, string>>> = Object.freeze({
  'wharf.service': 'SERVICE_NAME',
  'wharf.tags': 'SERVICE_TAGS',
  'wharf.ignore': 'SERVICE_IGNORE',
  'wharf.check': 'SERVICE_CHECK_HTTP',
  'wharf.check.interval': 'SERVICE_CHECK_INTERVAL',
  'wharf.check.timeout': 'SERVICE_CHECK_TIMEOUT',
});

/** Validates one setting by label name; used for labels and, at start, for the sidecar's env. */
export function parseLabel(label: string, value: string): Parsed<unknown> {
  const setting = LABEL_SETTINGS[label as LabelName] as Setting<unknown> | undefined;
  if (!setting) return { ok: false, expected: 'a known wharf setting' };
  return parseSetting(setting, value);
}

/** One setting's raw value and where it came from (the name a warning shows). */
export interface SettingSource {
  readonly name: string;
  readonly value: string;
}

/**
 * A container's settings, read on demand from up to three places. Precedence, first wins: the
 * sidecar's own env (`WHARF_*`) → the `wharf.*` label → registrator's name in the container's env
 * (`SERVICE_*`) → the default. A value that does not parse throws `LabelError` naming the label
 * or variable it came from and the value; the caller skips the container.
 */
export class ContainerSettings {
  readonly #labels: Readonly<Record<string, string>>;
  readonly #env: ReadonlyMap<string, string>;
  readonly #overrides: Readonly<Record<string, string>>;

  constructor(facts: Pick<ContainerFacts, 'labels' | 'env'>, overrides: Readonly<Record<string, string>>) {
    this.#labels = facts.labels;
    this.#env = envMap(facts.env);
    this.#overrides = overrides;
  }

  /** Where `label`'s value comes from, or undefined when nothing sets it. */
  source(label: LabelName): SettingSource | undefined {
    const override = this.#overrides[label];
    if (override !== undefined) return { name: SIDECAR_ENV[label] ?? label, value: override };
    const labelValue = this.#labels[label];
    if (labelValue !== undefined && labelValue.trim() !== '') return { name: label, value: labelValue };
    const registratorName = REGISTRATOR_ENV[label];
    const envValue = registratorName ? this.#env.get(registratorName) : undefined;
    if (registratorName && envValue !== undefined && envValue.trim() !== '') {
      // SERVICE_CHECK_HTTP holds a bare path.
      return { name: registratorName, value: label === 'wharf.check' ? `http:${envValue.trim()}` : envValue };
    }
    return undefined;
  }

  /** The setting's value, or undefined when nothing sets it. */
  get<L extends LabelName>(label: L): LabelValue<L> | undefined {
    const found = this.source(label);
    if (found === undefined) return undefined;
    const parsed = parseSetting(LABEL_SETTINGS[label] as Setting<LabelValue<L>>, found.value);
    if (!parsed.ok) throw new LabelError(found.name, found.value, parsed.expected);
    return parsed.value;
  }

  /** Registrator's `SERVICE_<port>_NAME`: the service name of one private port. */
  portName(privatePort: number): string | undefined {
    const variable = `SERVICE_${privatePort}_NAME`;
    const name = this.#env.get(variable)?.trim();
    if (name === undefined || name === '') return undefined;
    if (!isValidName(name)) throw new LabelError(variable, name, 'a service name of A-Z a-z 0-9 . _ : -');
    return name;
  }

  /** `wharf.check` and its timing, with the defaults filled in. */
  check(defaults: {
    readonly intervalMs: number;
    readonly timeoutMs: number;
    readonly rise: number;
    readonly fall: number;
  }): {
    kind: { kind: CheckKind; path?: string } | undefined;
    intervalMs: number;
    timeoutMs: number;
    rise: number;
    fall: number;
  } {
    const intervalMs = this.get('wharf.check.interval') ?? defaults.intervalMs;
    const timeoutMs = this.get('wharf.check.timeout') ?? Math.min(defaults.timeoutMs, intervalMs);
    if (timeoutMs > intervalMs) {
      const found = this.source('wharf.check.timeout') as SettingSource;
      throw new LabelError(
        found.name,
        found.value,
        `a timeout no longer than the check interval (${intervalMs}ms)`,
      );
    }
    return {
      kind: this.get('wharf.check'),
      intervalMs,
      timeoutMs,
      rise: this.get('wharf.check.rise') ?? defaults.rise,
      fall: this.get('wharf.check.fall') ?? defaults.fall,
    };
  }
}

function envMap(entries: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const entry of entries) {
    const index = entry.indexOf('=');
    if (index > 0) map.set(entry.slice(0, index), entry.slice(index + 1));
  }
  return map;
}
