import type { KeyLayout } from './key-layout.js';
import type { RecordKind, RecordKinds, RegistryEntry } from './registry-entry.js';

/** One key that appeared, changed or went away. `current` is undefined when it went away. */
export type RegistryChange = {
  [K in HeldKind]: {
    kind: K;
    key: string;
    parsed: Extract<RegistryEntry, { kind: K }>['parsed'];
    current: RecordKinds[K] | undefined;
    previous: RecordKinds[K] | undefined;
  };
}[HeldKind];

/** Every valid record of a part of the registry, by kind and key. */
export interface RegistryState {
  readonly endpoints: ReadonlyMap<string, RecordKinds['endpoint']>;
  readonly bridges: ReadonlyMap<string, RecordKinds['bridge']>;
  readonly routes: ReadonlyMap<string, RecordKinds['route']>;
  readonly drains: ReadonlyMap<string, RecordKinds['drain']>;
  readonly certificates: ReadonlyMap<string, RecordKinds['certificate']>;
  readonly challenges: ReadonlyMap<string, RecordKinds['challenge']>;
}

/** The kinds a registry's contents hold; the ACME issuers' own state (`acme`) is theirs to read. */
export type HeldKind = Exclude<RecordKind, 'acme'>;

const MAP_OF = {
  endpoint: 'endpoints',
  bridge: 'bridges',
  route: 'routes',
  drain: 'drains',
  certificate: 'certificates',
  challenge: 'challenges',
} as const satisfies Record<HeldKind, keyof RegistryState>;

function isHeld(kind: RecordKind): kind is HeldKind {
  return kind !== 'acme';
}

/**
 * The records of a registry (or a part of it) by kind and key, kept up to date one entry at a
 * time; each `set` and `delete` says what changed. Watchers keep one; the CLI fills one from a
 * single read.
 */
export class RegistryContents implements RegistryState {
  readonly endpoints = new Map<string, RecordKinds['endpoint']>();
  readonly bridges = new Map<string, RecordKinds['bridge']>();
  readonly routes = new Map<string, RecordKinds['route']>();
  readonly drains = new Map<string, RecordKinds['drain']>();
  readonly certificates = new Map<string, RecordKinds['certificate']>();
  readonly challenges = new Map<string, RecordKinds['challenge']>();
  readonly #layout: KeyLayout;

  constructor(layout: KeyLayout) {
    this.#layout = layout;
  }

  /** Stores the entry's record under its key; returns the change (undefined for kinds not held). */
  set(entry: RegistryEntry): RegistryChange | undefined {
    if (!isHeld(entry.kind)) return undefined;
    const map = this[MAP_OF[entry.kind]] as Map<string, RecordKinds[RecordKind]>;
    const previous = map.get(entry.key);
    map.set(entry.key, entry.record);
    return {
      kind: entry.kind,
      key: entry.key,
      parsed: entry.parsed,
      current: entry.record,
      previous,
    } as RegistryChange;
  }

  /** Forgets the key; returns the change, or undefined when no record was known under it. */
  delete(key: string): RegistryChange | undefined {
    const parsed = this.#layout.parse(key);
    if (!parsed || !isHeld(parsed.kind)) return undefined;
    const map = this[MAP_OF[parsed.kind]] as Map<string, RecordKinds[RecordKind]>;
    const previous = map.get(key);
    if (previous === undefined) return undefined;
    map.delete(key);
    return { kind: parsed.kind, key, parsed, current: undefined, previous } as RegistryChange;
  }

  /** Every key held, of every kind. */
  *keys(): IterableIterator<string> {
    for (const kind of Object.values(MAP_OF)) yield* this[kind].keys();
  }
}
