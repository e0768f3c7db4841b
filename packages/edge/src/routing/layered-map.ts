/**
 * An immutable map made of a large shared base and a small layer of recent changes on top
 * (`undefined` in the layer marks a deletion). `with(changes)` returns a new map that copies only
 * the layer; the base is copied (the layer folded in) once the layer outgrows about twice the
 * square root of the base. A route-table change thus costs O(√hosts) amortised instead of a
 * copy of every host: at 50,000 hosts a full Map copy is ~20 ms.
 */
export class LayeredMap<K, V> implements ReadonlyMap<K, V> {
  readonly #base: ReadonlyMap<K, V>;
  readonly #layer: ReadonlyMap<K, V | undefined>;
  readonly size: number;

  private constructor(base: ReadonlyMap<K, V>, layer: ReadonlyMap<K, V | undefined>, size: number) {
    this.#base = base;
    this.#layer = layer;
    this.size = size;
  }

  /** `map` itself when it already is one, else a layered view over it (not copied: never mutate it). */
  static of<K, V>(map: ReadonlyMap<K, V>): LayeredMap<K, V> {
    return map instanceof LayeredMap ? (map as LayeredMap<K, V>) : new LayeredMap(map, new Map(), map.size);
  }

  /** A new map with `changes` applied (`undefined` deletes). */
  with(changes: ReadonlyMap<K, V | undefined>): LayeredMap<K, V> {
    let size = this.size;
    for (const [key, value] of changes) {
      const had = this.has(key);
      if (value === undefined) {
        if (had) size -= 1;
      } else if (!had) {
        size += 1;
      }
    }
    const layerSize = this.#layer.size + changes.size;
    if (layerSize > 64 && layerSize * layerSize > 4 * this.#base.size) {
      const base = new Map<K, V>(this);
      for (const [key, value] of changes) {
        if (value === undefined) base.delete(key);
        else base.set(key, value);
      }
      return new LayeredMap(base, new Map(), base.size);
    }
    const layer = new Map(this.#layer);
    for (const [key, value] of changes) {
      // A deletion of something only the layer had need not shadow the base.
      if (value === undefined && !this.#base.has(key)) layer.delete(key);
      else layer.set(key, value);
    }
    return new LayeredMap(this.#base, layer, size);
  }

  get(key: K): V | undefined {
    const layer = this.#layer;
    if (layer.size > 0) {
      const value = layer.get(key);
      if (value !== undefined || layer.has(key)) return value;
    }
    return this.#base.get(key);
  }

  has(key: K): boolean {
    const layer = this.#layer;
    if (layer.size > 0 && layer.has(key)) return layer.get(key) !== undefined;
    return this.#base.has(key);
  }

  *entries(): MapIterator<[K, V]> {
    const layer = this.#layer;
    for (const entry of this.#base) if (!layer.has(entry[0])) yield entry;
    for (const [key, value] of layer) if (value !== undefined) yield [key, value];
  }

  *keys(): MapIterator<K> {
    for (const [key] of this.entries()) yield key;
  }

  *values(): MapIterator<V> {
    for (const [, value] of this.entries()) yield value;
  }

  forEach(callback: (value: V, key: K, map: ReadonlyMap<K, V>) => void, thisArg?: unknown): void {
    for (const [key, value] of this.entries()) callback.call(thisArg, value, key, this);
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }
}
