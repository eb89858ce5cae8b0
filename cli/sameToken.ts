import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * Constant-time comparison of a presented per-start token (the sandbox's, `jit ui`'s, `jit exec`'s
 * credential endpoint's) with the expected one. Both sides are hashed first, so the comparison takes
 * as long whatever the length of the guess (timingSafeEqual itself wants equal lengths, and would
 * leak the length).
 */
const sameToken = (given: string | undefined, expected: string): boolean =>
  given !== undefined && timingSafeEqual(digest(given), digest(expected));

export { sameToken };
