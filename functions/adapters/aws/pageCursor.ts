import { GRANT_ID } from '../../config/patterns.js';
import { ValidationError } from '../../domain/errors.js';
import { GRANT_SK, grantPk } from './grantItems.js';

/**
 * Page cursors are a grant item's key in one index (the query's LastEvaluatedKey): its table key
 * (`GRANT#<id>`, `GRANT`) and its index key (the partition queried, `<ISO instant>#<id>`), as
 * base64url of canonical JSON (attributes in name order).
 *
 * A cursor comes back from the caller, so it is untrusted. It is accepted only in exactly the form
 * this module writes, for exactly the partition being queried (nobody pages through someone else's
 * grants), with every value shaped like a real grant item's. So DynamoDB never sees an empty or
 * malformed start key, and a forged cursor can do no more than a real one: start a listing the
 * caller may read anyway at some position in it. That is why it is not signed: there is nothing a
 * signature would protect, and no key to provision and rotate.
 */
interface CursorQuery {
  /** The index's key attribute names. */
  readonly index: { readonly pk: string; readonly sk: string };
  /** The index partition being queried: the cursor must be from it. */
  readonly partition: string;
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const MAX_CURSOR_CHARS = 2048;

const byName = ([a]: [string, unknown], [b]: [string, unknown]): number => (a < b ? -1 : a > b ? 1 : 0);

const encodeCursor = (key: Record<string, unknown> | undefined): string | undefined =>
  key === undefined
    ? undefined
    : Buffer.from(JSON.stringify(Object.fromEntries(Object.entries(key).sort(byName)))).toString('base64url');

const invalid = (): ValidationError =>
  new ValidationError('INVALID_CURSOR', 'cursor is not one this listing returned; start again without it');

/** The grant id a sort key `<ISO instant>#<grant id>` ends with, if it is one. */
const sortKeyGrantId = (sortKey: string): string | undefined => {
  const hash = sortKey.lastIndexOf('#');
  const instant = sortKey.slice(0, hash);
  const time = Date.parse(instant);
  const valid =
    hash > 0 && ISO_INSTANT.test(instant) && !Number.isNaN(time) && new Date(time).toISOString() === instant;
  return valid ? sortKey.slice(hash + 1) : undefined;
};

/**
 * The start key a cursor stands for, or undefined without a cursor.
 *
 * @throws ValidationError `INVALID_CURSOR` for anything but a cursor {@link encodeCursor} wrote for
 *   a grant in `query.partition`.
 */
const decodeCursor = (cursor: string | undefined, query: CursorQuery): Record<string, string> | undefined => {
  if (cursor === undefined) return undefined;
  if (cursor.length > MAX_CURSOR_CHARS) throw invalid();
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (key === null || typeof key !== 'object' || Array.isArray(key)) throw invalid();
  const { PK, SK, [query.index.pk]: partition, [query.index.sk]: sortKey, ...rest } = key as Record<string, unknown>;
  const grantId = typeof PK === 'string' && PK.startsWith(grantPk('')) ? PK.slice(grantPk('').length) : undefined;
  const valid =
    Object.keys(rest).length === 0 &&
    grantId !== undefined &&
    GRANT_ID.test(grantId) &&
    SK === GRANT_SK &&
    partition === query.partition &&
    typeof sortKey === 'string' &&
    sortKeyGrantId(sortKey) === grantId &&
    // Only the exact text encodeCursor writes: no second spelling of the same key.
    encodeCursor(key as Record<string, unknown>) === cursor;
  if (!valid) throw invalid();
  return key as Record<string, string>;
};

export type { CursorQuery };
export { decodeCursor, encodeCursor };
