/**
 * JSON with object keys sorted at every depth, so the same value always hashes the same,
 * whatever order a store or a parser hands the keys back in. Exactly what `JSON.stringify` writes
 * for a copy with sorted keys, written in one pass without the copy: every audit append hashes
 * its event and digests the grant record, so this runs several times per request.
 */
const canonicalJson = (value: unknown): string => write(value) as string;

/** `4294967294` is the largest array index; `4294967295` is an ordinary key. */
const MAX_INDEX = 4_294_967_294;
const isArrayIndex = (key: string): boolean => {
  const n = Number(key);
  return Number.isInteger(n) && n >= 0 && n <= MAX_INDEX && String(n) === key;
};

/**
 * Keys in UTF-16 code-unit order (the same on every host, unlike localeCompare) — except that
 * array-index keys ("0", "17") come first in numeric order, as in any object JSON.stringify
 * writes: the hashes already stored were made that way. Object.keys lists them first already.
 */
const sortedKeys = (record: Record<string, unknown>): string[] => {
  const keys = Object.keys(record);
  let indexes = 0;
  while (indexes < keys.length && isArrayIndex(keys[indexes] as string)) indexes++;
  return indexes === 0 ? keys.sort() : [...keys.slice(0, indexes), ...keys.slice(indexes).sort()];
};

/** Undefined where JSON.stringify would leave the value out (undefined, functions, symbols). */
const write = (value: unknown): string | undefined => {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((item) => write(item) ?? 'null').join(',')}]`;
  // Dates (and anything else with toJSON) hash as what JSON.stringify writes for them.
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return JSON.stringify(value);
  const record = value as Record<string, unknown>;
  const members: string[] = [];
  for (const key of sortedKeys(record)) {
    const written = write(record[key]);
    if (written !== undefined) members.push(`${JSON.stringify(key)}:${written}`);
  }
  return `{${members.join(',')}}`;
};

export { canonicalJson };
