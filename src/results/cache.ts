/**
 * A least-recently-used cache with a budget in "weight" units (bytes for images, 1 per entry otherwise).
 * Entries heavier than the whole budget are not kept.
 */
export class LruCache<K, V> {
  private readonly entries = new Map<K, { value: V; weight: number }>();
  private totalWeight = 0;

  constructor(
    private readonly budget: number,
    private readonly weigh: (value: V) => number = () => 1,
    /** Called with each entry pushed out by the budget (not with entries deleted or replaced). */
    private readonly onEvict: (key: K, value: V) => void = () => undefined,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get weight(): number {
    return this.totalWeight;
  }

  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    // Re-inserting moves the key to the end of the Map's insertion order: the most recent end.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: K, value: V): void {
    this.delete(key);
    const weight = this.weigh(value);
    if (weight > this.budget) return;
    this.entries.set(key, { value, weight });
    this.totalWeight += weight;
    for (const [oldest, entry] of this.entries) {
      if (this.totalWeight <= this.budget) break;
      this.entries.delete(oldest);
      this.totalWeight -= entry.weight;
      this.onEvict(oldest, entry.value);
    }
  }

  delete(key: K): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.totalWeight -= entry.weight;
  }
}

/**
 * Remembers the promise of each key's computation, so concurrent requests share one computation; a
 * computation that fails is forgotten so that the next request tries again.
 */
export class PromiseCache<K, V> {
  private readonly cache: LruCache<K, Promise<V>>;

  constructor(maxEntries: number) {
    this.cache = new LruCache<K, Promise<V>>(maxEntries);
  }

  get(key: K, compute: () => Promise<V>): Promise<V> {
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    const promise = compute();
    this.cache.set(key, promise);
    promise.catch(() => {
      if (this.cache.get(key) === promise) this.cache.delete(key);
    });
    return promise;
  }
}
