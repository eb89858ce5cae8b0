import { randomBytes } from 'node:crypto';
import type { IdGenerator } from '../ports.js';

/** Crockford base32, lower case: no i, l, o, u — easy to read aloud and to type. */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

const encode = (value: bigint, length: number): string => {
  let text = '';
  for (let i = 0; i < length; i++) {
    text = ALPHABET[Number((value >> BigInt(5 * i)) & 31n)] + text;
  }
  return text;
};

/**
 * Grant ids are ULIDs (48-bit time, 80 random bits) behind a `g-` prefix: they sort by creation
 * time, cannot be guessed, and fit STS session names and source identities.
 */
const ulidIds = (now: () => number = Date.now): IdGenerator => ({
  grantId: () => `g-${encode(BigInt(now()), 10)}${encode(BigInt(`0x${randomBytes(10).toString('hex')}`), 16)}`,
});

export { ulidIds };
