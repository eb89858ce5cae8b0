/**
 * A bounded map whose entries expire: at most `maxEntries` (the least recently used goes first),
 * each kept for `ttlMs` after it was set. A TTL of 0 keeps nothing. Memory stays bounded however
 * many distinct keys callers bring.
 */
class ExpiringCache<V> {
  readonly #entries = new Map<string, { readonly value: V; readonly expiresAt: number }>();
  readonly #maxEntries: number;
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(options: { maxEntries: number; ttlMs: number; now?: () => number }) {
    if (!Number.isInteger(options.maxEntries) || options.maxEntries < 1) {
      throw new Error(`an ExpiringCache needs maxEntries ≥ 1, got ${options.maxEntries}`);
    }
    this.#maxEntries = options.maxEntries;
    this.#ttlMs = options.ttlMs;
    this.#now = options.now ?? Date.now;
  }

  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (entry.expiresAt <= this.#now()) return undefined;
    // Re-inserted: a Map iterates in insertion order, so the first key is the least recently used.
    this.#entries.set(key, entry);
    return entry.value;
  }

  set(key: string, value: V): void {
    if (this.#ttlMs <= 0) return;
    this.#entries.delete(key);
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(key, { value, expiresAt: this.#now() + this.#ttlMs });
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * The cached value of `key`, or `load()`'s, cached. The promise itself is cached, so concurrent
   * callers share one load; a load that fails is forgotten, so the next caller tries again.
   */
  memo<T>(this: ExpiringCache<Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
    const cached = this.get(key);
    if (cached !== undefined) return cached;
    const loading = load();
    this.set(key, loading);
    loading.catch(() => {
      if (this.#entries.get(key)?.value === loading) this.delete(key);
    });
    return loading;
  }
}

export { ExpiringCache };
