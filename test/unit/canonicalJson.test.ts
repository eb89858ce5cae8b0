import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../functions/domain/canonicalJson.js';

/**
 * The definition canonicalJson must keep to byte for byte (stored chains were hashed with it):
 * JSON.stringify of a copy whose keys were inserted sorted, undefined members left out.
 */
const reference = (value: unknown): string => JSON.stringify(sortedCopy(value));
const sortedCopy = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(sortedCopy);
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return (value as { toJSON(): unknown }).toJSON();
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([k, v]) => [k, sortedCopy(v)]));
  }
  return value;
};

/** Keys that sort differently as text and as numbers, and keys JavaScript treats specially. */
const key = fc.oneof(
  fc.string(),
  fc.constantFrom('0', '1', '2', '9', '10', '01', '-1', '1.5', '4294967294', '4294967295', '__proto__', 'é', 'Z', 'a')
);
const leaf = fc.oneof(
  fc.string(),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.date({ noInvalidDate: true })
);
const value = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small' }, leaf, tie('array'), tie('object')),
  array: fc.array(tie('node'), { maxLength: 4 }),
  object: fc.dictionary(key, tie('node'), { maxKeys: 6 }),
})).node;

describe('canonicalJson', () => {
  it('writes exactly what JSON.stringify writes for a copy with sorted keys', () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(canonicalJson(v)).toBe(reference(v));
      }),
      { numRuns: 2000 }
    );
  });

  it.each([
    ['numeric keys first, in numeric order', { b: 1, 10: 2, 9: 3, a: 4 }, '{"9":3,"10":2,"a":4,"b":1}'],
    ['code-unit order, not the locale’s', { é: 1, z: 2, Z: 3 }, '{"Z":3,"z":2,"é":1}'],
    ['undefined members left out, nulls in arrays', { a: undefined, b: [undefined, () => 1] }, '{"b":[null,null]}'],
    ['dates as their ISO text', { at: new Date(0) }, '{"at":"1970-01-01T00:00:00.000Z"}'],
    ['non-finite numbers as null', [Number.NaN, Number.POSITIVE_INFINITY, -0], '[null,null,0]'],
  ])('%s', (_name, input, expected) => {
    expect(canonicalJson(input)).toBe(expected);
    expect(canonicalJson(input)).toBe(reference(input));
  });
});
