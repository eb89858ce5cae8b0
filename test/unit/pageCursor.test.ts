import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../../functions/adapters/aws/pageCursor.js';
import { ValidationError } from '../../functions/domain/errors.js';
import { thrownBy } from '../helpers/thrown.js';

const EXPECTED = { index: { pk: 'GSI1PK', sk: 'GSI1SK' }, partition: 'USER#alice' } as const;

const KEY = {
  PK: 'GRANT#g-01jtest0000000000000000000',
  SK: 'GRANT',
  GSI1PK: 'USER#alice',
  GSI1SK: '2026-11-23T09:00:00.000Z#g-01jtest0000000000000000000',
};

const encodeJson = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
/** The canonical encoding of a key (attributes in name order), as encodeCursor writes it. */
const canonical = (value: Record<string, unknown>): string =>
  encodeJson(Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1))));

describe('encodeCursor', () => {
  it('returns undefined on the last page', () => {
    expect(encodeCursor(undefined)).toBeUndefined();
  });

  it('encodes the key as URL-safe base64 without padding', () => {
    const cursor = encodeCursor(KEY);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
  });
});

describe('decodeCursor', () => {
  it('returns the key that encodeCursor encoded', () => {
    expect(decodeCursor(encodeCursor(KEY), EXPECTED)).toEqual(KEY);
  });

  it('returns undefined when there is no cursor', () => {
    expect(decodeCursor(undefined, EXPECTED)).toBeUndefined();
  });

  it('writes the same cursor for a key whatever the order of its attributes', () => {
    const { GSI1SK, GSI1PK, SK, PK } = KEY;
    expect(encodeCursor({ GSI1SK, GSI1PK, SK, PK })).toBe(encodeCursor(KEY));
  });

  it('accepts a cursor for another grant in the same partition', () => {
    const other = {
      ...KEY,
      PK: 'GRANT#g-01jzzzz0000000000000000000',
      GSI1SK: '2026-01-01T00:00:00.000Z#g-01jzzzz0000000000000000000',
    };
    expect(decodeCursor(canonical(other), EXPECTED)).toEqual(other);
  });

  const { GSI1SK: _sk, ...missingSortKey } = KEY;
  it.each([
    ['garbage that is not base64', '!!!***'],
    ['base64 that is not JSON', Buffer.from('not json at all').toString('base64url')],
    ['an empty string', ''],
    ['a JSON array', encodeJson([KEY])],
    ['JSON null', encodeJson(null)],
    ['a JSON string', encodeJson('USER#alice')],
    ['a JSON number', encodeJson(42)],
    ['an extra attribute', encodeJson({ ...KEY, GSI2PK: 'STATE#PENDING' })],
    ['a missing attribute', encodeJson(missingSortKey)],
    ['an unexpected attribute in place of an expected one', encodeJson({ ...missingSortKey, GSI2SK: 'x' })],
    ['a number value', encodeJson({ ...KEY, GSI1SK: 42 })],
    ['an object value', encodeJson({ ...KEY, SK: { S: 'GRANT' } })],
    ['a null value', encodeJson({ ...KEY, PK: null })],
    ["another user's partition", encodeJson({ ...KEY, GSI1PK: 'USER#bob' })],
    ['a partition that only starts like the expected one', encodeJson({ ...KEY, GSI1PK: 'USER#alice2' })],
    ['a DynamoDB-typed key', encodeJson({ PK: { S: KEY.PK }, SK: { S: 'GRANT' }, GSI1PK: { S: 'USER#alice' } })],
    ['empty key values', canonical({ ...KEY, PK: '', SK: '', GSI1SK: '' })],
    ['an empty sort key', canonical({ ...KEY, GSI1SK: '' })],
    ['an empty grant id', canonical({ ...KEY, PK: 'GRANT#' })],
    ['a table key that is not a grant', canonical({ ...KEY, PK: 'JTI#issuer#abc' })],
    ['a sort key other than GRANT', canonical({ ...KEY, SK: 'EVENT#00000001' })],
    [
      'a sort key for another grant',
      canonical({ ...KEY, GSI1SK: '2026-11-23T09:00:00.000Z#g-01jzzzz0000000000000000000' }),
    ],
    ['a sort key without a time', canonical({ ...KEY, GSI1SK: '#g-01jtest0000000000000000000' })],
    [
      'a sort key with an impossible time',
      canonical({ ...KEY, GSI1SK: '2026-13-45T09:00:00.000Z#g-01jtest0000000000000000000' }),
    ],
    ['a grant id with letters ULIDs never use', canonical({ ...KEY, PK: 'GRANT#g-01jtesti000000000000000000' })],
    ['the attributes in another order', encodeJson({ SK: KEY.SK, PK: KEY.PK, GSI1SK: KEY.GSI1SK, GSI1PK: KEY.GSI1PK })],
    [
      'JSON with spaces',
      Buffer.from(JSON.stringify(JSON.parse(Buffer.from(canonical(KEY), 'base64url').toString()), null, 1)).toString(
        'base64url'
      ),
    ],
    ['standard base64 padding', `${canonical(KEY)}==`],
    [
      'a __proto__ attribute',
      Buffer.from(`${Buffer.from(canonical(KEY), 'base64url').toString().slice(0, -1)},"__proto__":{}}`).toString(
        'base64url'
      ),
    ],
    ['a cursor longer than any real one', 'A'.repeat(4096)],
  ])('rejects %s with INVALID_CURSOR', (_what, cursor) => {
    const error = thrownBy(() => decodeCursor(cursor, EXPECTED));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ code: 'INVALID_CURSOR', kind: 'invalid' });
    expect((error as Error).message).toBe('cursor is not one this listing returned; start again without it');
  });

  it("rejects a cursor from another index's partition", () => {
    const byState = { index: { pk: 'GSI2PK', sk: 'GSI2SK' }, partition: 'STATE#PENDING' } as const;
    expect(() => decodeCursor(encodeCursor(KEY), byState)).toThrow(ValidationError);
  });
});
