import { ValidationError } from '../../domain/errors.js';

/**
 * Page cursors are the table's LastEvaluatedKey, base64url-encoded. A cursor comes back from the
 * caller, so it is untrusted: it must carry exactly the expected key attributes, as strings, and
 * its partition must be the one being queried (nobody pages through someone else's grants).
 */
const encodeCursor = (key: Record<string, unknown> | undefined): string | undefined =>
  key === undefined ? undefined : Buffer.from(JSON.stringify(key)).toString('base64url');

const decodeCursor = (
  cursor: string | undefined,
  expected: { attributes: readonly string[]; partition: readonly [string, string] }
): Record<string, string> | undefined => {
  if (cursor === undefined) return undefined;
  const invalid = () =>
    new ValidationError('INVALID_CURSOR', 'cursor is not one this listing returned; start again without it');
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (key === null || typeof key !== 'object' || Array.isArray(key)) throw invalid();
  const entries = Object.entries(key as Record<string, unknown>);
  const sameAttributes =
    entries.length === expected.attributes.length &&
    entries.every(([k, v]) => expected.attributes.includes(k) && typeof v === 'string');
  const [partitionAttribute, partitionValue] = expected.partition;
  if (!sameAttributes || (key as Record<string, string>)[partitionAttribute] !== partitionValue) {
    throw invalid();
  }
  return key as Record<string, string>;
};

export { decodeCursor, encodeCursor };
