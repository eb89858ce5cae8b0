import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../../functions/adapters/aws/pageCursor.js';
import { ValidationError } from '../../functions/domain/errors.js';
import { thrownBy } from '../helpers/thrown.js';

const EXPECTED = {
  attributes: ['PK', 'SK', 'GSI1PK', 'GSI1SK'],
  partition: ['GSI1PK', 'USER#alice'],
} as const;

const KEY = {
  PK: 'GRANT#g-01jtest0000000000000000000',
  SK: 'GRANT',
  GSI1PK: 'USER#alice',
  GSI1SK: '2026-11-23T09:00:00.000Z#g-01jtest0000000000000000000',
};

const encodeJson = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

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

  it('accepts the attributes in any order', () => {
    const { GSI1SK, GSI1PK, SK, PK } = KEY;
    expect(decodeCursor(encodeJson({ GSI1SK, GSI1PK, SK, PK }), EXPECTED)).toEqual(KEY);
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
  ])('rejects %s with INVALID_CURSOR', (_what, cursor) => {
    const error = thrownBy(() => decodeCursor(cursor, EXPECTED));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ code: 'INVALID_CURSOR', kind: 'invalid' });
    expect((error as Error).message).toBe('cursor is not one this listing returned; start again without it');
  });

  it("rejects a cursor from another index's partition", () => {
    const byState = { attributes: ['PK', 'SK', 'GSI2PK', 'GSI2SK'], partition: ['GSI2PK', 'STATE#PENDING'] } as const;
    expect(() => decodeCursor(encodeCursor(KEY), byState)).toThrow(ValidationError);
  });
});
