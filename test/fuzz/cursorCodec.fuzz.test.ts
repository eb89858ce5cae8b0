import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CursorQuery, decodeCursor, encodeCursor } from '../../functions/adapters/aws/pageCursor.js';
import { BrokerError } from '../../functions/domain/errors.js';
import { seeded } from './seeded.js';

const QUERY: CursorQuery = { index: { pk: 'GSI1PK', sk: 'GSI1SK' }, partition: 'USER#alice' };
const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';

const grantId = fc
  .array(fc.constantFrom(...CROCKFORD), { minLength: 26, maxLength: 26 })
  .map((chars) => `g-${chars.join('')}`);
const instant = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2200-01-01T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString());

/** A key DynamoDB could hand back as LastEvaluatedKey for alice's listing. */
const realKey = fc.record({ id: grantId, at: instant }).map(({ id, at }) => ({
  PK: `GRANT#${id}`,
  SK: 'GRANT',
  GSI1PK: 'USER#alice',
  GSI1SK: `${at}#${id}`,
}));

/** decodeCursor's only outcomes: the key encodeCursor wrote for this very text, or INVALID_CURSOR. */
const decodesOrRefuses = (cursor: string): void => {
  let key: Record<string, string> | undefined;
  try {
    key = decodeCursor(cursor, QUERY);
  } catch (error) {
    expect(error).toBeInstanceOf(BrokerError);
    expect((error as BrokerError).code).toBe('INVALID_CURSOR');
    return;
  }
  expect(key).toBeDefined();
  expect(encodeCursor(key)).toBe(cursor);
  expect(key?.GSI1PK).toBe(QUERY.partition);
  for (const value of Object.values(key ?? {})) expect(value).not.toBe('');
};

/** Every way of reaching a string that is almost a cursor. */
const nearCursors = realKey.chain((key) => {
  const cursor = encodeCursor(key) as string;
  const json = JSON.stringify(key);
  return fc.oneof(
    // flip, drop or insert one character of the cursor text
    fc
      .tuple(fc.nat(cursor.length - 1), fc.string({ maxLength: 3 }))
      .map(([i, s]) => cursor.slice(0, i) + s + cursor.slice(i + 1)),
    // edit the JSON inside and re-encode it
    fc
      .tuple(fc.nat(json.length - 1), fc.string({ maxLength: 3 }))
      .map(([i, s]) => Buffer.from(json.slice(0, i) + s + json.slice(i + 1)).toString('base64url')),
    // replace one attribute with any JSON value
    fc
      .tuple(fc.constantFrom('PK', 'SK', 'GSI1PK', 'GSI1SK', '__proto__', 'extra'), fc.jsonValue())
      .map(([k, v]) => Buffer.from(JSON.stringify({ ...key, [k]: v })).toString('base64url'))
  );
});

describe('the page cursor codec (property)', () => {
  it('decode(encode(key)) is the key, for every key a listing can return', () => {
    fc.assert(
      fc.property(realKey, (key) => {
        expect(decodeCursor(encodeCursor(key), QUERY)).toEqual(key);
      }),
      seeded(300)
    );
  });

  it('any string is either a cursor encodeCursor wrote or INVALID_CURSOR, never another error', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 300 }),
          fc.base64String({ maxLength: 300 }),
          fc.string({ unit: 'binary' }),
          nearCursors
        ),
        decodesOrRefuses
      ),
      seeded(1500)
    );
  });

  it("refuses every real cursor for somebody else's partition", () => {
    fc.assert(
      fc.property(realKey, fc.string({ minLength: 1, maxLength: 20 }), (key, user) => {
        fc.pre(user !== 'alice');
        const cursor = encodeCursor({ ...key, GSI1PK: `USER#${user}` }) as string;
        expect(() => decodeCursor(cursor, QUERY)).toThrow(BrokerError);
      }),
      seeded(200)
    );
  });
});
