import { describe, expect, it } from 'vitest';
import { EXACT_DISTINCT_VALUES, FirstRows, ValueCounts } from '../../functions/domain/reportTallies.js';

/** The same numbers in a scrambled order (a multiplier coprime with n visits each once). */
const scrambled = (n: number): number[] => Array.from({ length: n }, (_, i) => (i * 7919) % n);

describe('FirstRows', () => {
  it('keeps the rows that sort first, whatever order they come in, and counts the rest', () => {
    const rows = new FirstRows<number>(10);
    for (const n of scrambled(1000)) rows.push(String(n).padStart(4, '0'), n);
    expect(rows.rows()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(rows.total).toBe(1000);
    expect(rows.omitted).toBe(990);
  });

  it('keeps equal keys in the order they came', () => {
    const rows = new FirstRows<string>(3);
    for (const [key, row] of [
      ['b', 'b1'],
      ['a', 'a1'],
      ['b', 'b2'],
      ['a', 'a2'],
      ['a', 'a3'],
      ['a', 'a4'],
    ]) {
      rows.push(key as string, row as string);
    }
    expect(rows.rows()).toEqual(['a1', 'a2', 'a3']);
  });

  it('omits nothing under its limit', () => {
    const rows = new FirstRows<number>(5);
    rows.push('b', 2);
    rows.push('a', 1);
    expect([rows.rows(), rows.omitted]).toEqual([[1, 2], 0]);
  });
});

describe('ValueCounts', () => {
  it('gives the exact nearest-rank percentile while values are few', () => {
    const counts = new ValueCounts();
    for (const n of scrambled(1000)) counts.add(n / 10);
    expect([counts.percentile(0.5), counts.percentile(0.95), counts.percentile(1)]).toEqual([49.9, 94.9, 99.9]);
    expect(counts.bucketSeconds).toBe(0);
  });

  it('past its bound, merges values into buckets and stays within one bucket of the exact figure', () => {
    const n = 100_000;
    const counts = new ValueCounts();
    for (const v of scrambled(n)) counts.add(v / 10);
    expect(counts.bucketSeconds).toBeGreaterThan(0);
    const exact = (share: number) => (Math.ceil(share * n) - 1) / 10;
    for (const share of [0.5, 0.95]) {
      const approximate = counts.percentile(share) as number;
      expect(approximate).toBeLessThanOrEqual(exact(share));
      expect(exact(share) - approximate).toBeLessThan(counts.bucketSeconds);
    }
    expect(counts.percentile(1)).toBe(9999.9);
    expect(counts.count).toBe(n);
  });

  it('holds no more distinct values than its bound', () => {
    const counts = new ValueCounts();
    for (let i = 0; i < 50_000; i++) counts.add(i);
    expect(counts.bucketSeconds).toBeGreaterThanOrEqual(50_000 / EXACT_DISTINCT_VALUES);
  });
});
