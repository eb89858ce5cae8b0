/**
 * What a report keeps while grants stream through it, in memory that does not grow with the
 * number of grants: the first rows in the report's order (the rest only counted), and counts of
 * values from which medians and percentiles are read (docs/reports.md, "Memory").
 */

/**
 * The `limit` rows that sort first by key, of however many are pushed, and how many were pushed.
 * Keys are strings compared by code unit; rows with equal keys keep the order they came in. It
 * holds at most an eighth more than the limit: then it sorts and drops the tail (the held rows are
 * already in order but for the last eighth, which a merge-based sort takes in about linear time).
 */
class FirstRows<T> {
  readonly #limit: number;
  readonly #trimAt: number;
  #held: { readonly key: string; readonly order: number; readonly row: T }[] = [];
  #pushed = 0;
  #passedOver = 0;

  constructor(limit: number) {
    this.#limit = limit;
    this.#trimAt = limit + Math.max(64, Math.ceil(limit / 8));
  }

  push(key: string, row: T): void {
    this.#held.push({ key, order: this.#pushed++, row });
    if (this.#held.length >= this.#trimAt) this.#trim();
  }

  /** Counts `count` rows the caller could not push (never read): they are only ever omitted. */
  passOver(count: number): void {
    this.#passedOver += Math.max(0, count);
  }

  /** How many rows were pushed, kept or not. */
  get total(): number {
    return this.#pushed + this.#passedOver;
  }

  /** The first rows, in order. */
  rows(): T[] {
    this.#trim();
    return this.#held.map((h) => h.row);
  }

  /** How many rows `rows()` leaves out. */
  get omitted(): number {
    return this.#pushed - Math.min(this.#pushed, this.#limit) + this.#passedOver;
  }

  #trim(): void {
    this.#held.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.order - b.order));
    if (this.#held.length > this.#limit) this.#held.length = this.#limit;
  }
}

/** Distinct values a distribution counts exactly before neighbouring values are merged. */
const EXACT_DISTINCT_VALUES = 4096;

/**
 * A distribution as a count per value: exact (a value is counted at the resolution it comes in:
 * whole seconds to kill, tenths of a second to the first refusal) while it holds at most
 * EXACT_DISTINCT_VALUES distinct values, which a real period rarely reaches (every whole second up
 * to 68 minutes). Past that, values are merged into buckets of 1 s, then 2 s, 4 s… (each value
 * rounded down to its bucket's lower edge), as often as it takes to stay under the bound: a
 * percentile is then at most one bucket width below the exact one. The maximum stays exact.
 */
class ValueCounts {
  #counts = new Map<number, number>();
  #bucketSeconds = 0;
  #count = 0;
  #max: number | null = null;

  add(value: number): void {
    this.#count++;
    this.#max = this.#max === null ? value : Math.max(this.#max, value);
    const key = this.#bucketOf(value);
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
    while (this.#counts.size > EXACT_DISTINCT_VALUES) this.#coarsen();
  }

  get count(): number {
    return this.#count;
  }

  /** Width of the buckets values were merged into: 0 while every value is counted exactly. */
  get bucketSeconds(): number {
    return this.#bucketSeconds;
  }

  /** The value below which `share` of the values lie (nearest rank, as `percentile`); null for none. */
  percentile(share: number): number | null {
    if (this.#count === 0) return null;
    if (share >= 1) return this.#max;
    const rank = Math.max(1, Math.ceil(share * this.#count));
    let seen = 0;
    for (const value of [...this.#counts.keys()].sort((a, b) => a - b)) {
      seen += this.#counts.get(value) as number;
      if (seen >= rank) return value;
    }
    return this.#max;
  }

  #bucketOf(value: number): number {
    return this.#bucketSeconds === 0 ? value : Math.floor(value / this.#bucketSeconds) * this.#bucketSeconds;
  }

  #coarsen(): void {
    this.#bucketSeconds = this.#bucketSeconds === 0 ? 1 : this.#bucketSeconds * 2;
    const counts = new Map<number, number>();
    for (const [value, n] of this.#counts) {
      const key = this.#bucketOf(value);
      counts.set(key, (counts.get(key) ?? 0) + n);
    }
    this.#counts = counts;
  }
}

export { EXACT_DISTINCT_VALUES, FirstRows, ValueCounts };
