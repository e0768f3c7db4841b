export interface Weighted {
  readonly weight: number;
}

/**
 * Smooth weighted round-robin (nginx's): every pick adds each candidate's weight to its running
 * score, takes the highest and subtracts the total from it. Weights 5,1,1 give a a b a c a a —
 * spread out, not bursts. Items with weight 0 are never picked.
 *
 * `isHealthy` says which items are ejected by passive health. Ejections are honoured only while
 * they cover at most half of the weighted items; beyond that they are ignored (panic mode), so
 * a flapping network never empties a pool.
 */
export class WeightedRoundRobin<T extends Weighted> {
  readonly items: readonly T[];
  readonly #scores: Float64Array;
  readonly #maxEjected: number;

  constructor(items: readonly T[]) {
    this.items = items;
    this.#scores = new Float64Array(items.length);
    let weighted = 0;
    for (const item of items) if (item.weight > 0) weighted += 1;
    this.#maxEjected = Math.floor(weighted / 2);
  }

  /**
   * Next item, skipping `exclude` (items already tried for this request); undefined if none.
   * With `panic: false` ejections are always honoured (a caller with somewhere else to go).
   */
  pick(
    isHealthy?: (item: T) => boolean,
    exclude?: readonly T[],
    { panic = true }: { readonly panic?: boolean } = {},
  ): T | undefined {
    const chosen = this.#pick(isHealthy, exclude, panic ? this.#maxEjected : Number.POSITIVE_INFINITY);
    return chosen === null ? (this.#pick(undefined, exclude, this.#maxEjected) ?? undefined) : chosen;
  }

  // Returns null when too many items are ejected for the ejections to be honoured.
  #pick(
    isHealthy: ((item: T) => boolean) | undefined,
    exclude: readonly T[] | undefined,
    maxEjected: number,
  ): T | undefined | null {
    const items = this.items;
    const scores = this.#scores;
    let total = 0;
    let best = -1;
    let ejected = 0;
    for (let index = 0; index < items.length; index++) {
      const item = items[index]!;
      if (item.weight <= 0) continue;
      if (isHealthy !== undefined && !isHealthy(item)) {
        ejected += 1;
        continue;
      }
      if (exclude?.includes(item)) continue;
      scores[index]! += item.weight;
      total += item.weight;
      if (best < 0 || scores[index]! > scores[best]!) best = index;
    }
    if (ejected > maxEjected) {
      // Undo this round's additions before retrying without the ejections.
      for (let index = 0; index < items.length; index++) {
        const item = items[index]!;
        if (item.weight > 0 && (isHealthy === undefined || isHealthy(item)) && !exclude?.includes(item)) {
          scores[index]! -= item.weight;
        }
      }
      return null;
    }
    if (best < 0) return undefined;
    scores[best]! -= total;
    return items[best];
  }
}

/**
 * Smooth weighted round-robin in two tiers: the preferred items (an edge's own zone) while any of
 * them is serving and healthy, the whole set otherwise — never a 503 while another zone can
 * answer. Passive-health ejections inside the preferred tier are always honoured (the rest is
 * the fallback); the whole set keeps the panic rule.
 */
export class TieredRoundRobin<T extends Weighted> {
  readonly items: readonly T[];
  readonly #preferred: WeightedRoundRobin<T> | undefined;
  readonly #all: WeightedRoundRobin<T>;

  constructor(items: readonly T[], isPreferred?: (item: T) => boolean) {
    this.items = items;
    this.#all = new WeightedRoundRobin(items);
    const preferred = isPreferred ? items.filter(isPreferred) : [];
    this.#preferred =
      preferred.length > 0 && preferred.length < items.length ? new WeightedRoundRobin(preferred) : undefined;
  }

  /** The preferred items, when they are a strict subset of the pool. */
  get preferred(): readonly T[] {
    return this.#preferred?.items ?? this.items;
  }

  pick(isHealthy?: (item: T) => boolean, exclude?: readonly T[]): T | undefined {
    return this.#preferred?.pick(isHealthy, exclude, { panic: false }) ?? this.#all.pick(isHealthy, exclude);
  }
}
