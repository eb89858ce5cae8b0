/**
 * IAM glob matching (`*` = any run of characters, `?` = exactly one) without building a regular
 * expression from caller input: patterns come from requests, and a regex built from them could be
 * made to backtrack exponentially (ReDoS).
 */
interface GlobOptions {
  /** IAM action names compare case-insensitively; ARNs do not. */
  readonly caseInsensitive: boolean;
}

const STAR = '*';
const ONE = '?';

/**
 * Rewrites every run of wildcards as its `?`s followed by at most one `*` (`*?*` → `?*`): the same
 * strings match, and the covering check then sees `?*` and `*?` as the equal patterns they are.
 */
const normalizeWildcards = (glob: string): string => {
  let normalized = '';
  let ones = 0;
  let star = false;
  const flush = () => {
    normalized += ONE.repeat(ones) + (star ? STAR : '');
    ones = 0;
    star = false;
  };
  for (const char of glob) {
    if (char === STAR) star = true;
    else if (char === ONE) ones += 1;
    else {
      flush();
      normalized += char;
    }
  }
  flush();
  return normalized;
};

/**
 * The classic two-pointer wildcard matcher: on a mismatch it only ever retries from the latest `*`,
 * which is enough because that `*` can absorb whatever an earlier one would have. Worst case
 * O(pattern × text) steps, no recursion, no allocation. When `textIsGlob`, the text's `*` and `?`
 * are wildcard tokens: only a pattern `*` absorbs a text `*` (a `?` stands for one character, a
 * `*` for any number of them), and a pattern `?` absorbs a text `?`.
 */
const wildcardMatch = (pattern: string, text: string, textIsGlob: boolean): boolean => {
  let p = 0;
  let t = 0;
  let lastStar = -1;
  let resumeAt = 0;
  while (t < text.length) {
    const wanted = pattern[p];
    const token = text[t];
    const oneMatches = wanted === ONE && !(textIsGlob && token === STAR);
    if (p < pattern.length && wanted !== STAR && (oneMatches || wanted === token)) {
      p += 1;
      t += 1;
    } else if (wanted === STAR) {
      lastStar = p;
      resumeAt = t;
      p += 1;
    } else if (lastStar >= 0) {
      // Let the latest `*` absorb one more token and try the rest of the pattern again from there.
      p = lastStar + 1;
      resumeAt += 1;
      t = resumeAt;
    } else {
      return false;
    }
  }
  while (pattern[p] === STAR) p += 1;
  return p === pattern.length;
};

const prepare = (glob: string, options: GlobOptions): string =>
  normalizeWildcards(options.caseInsensitive ? glob.toLowerCase() : glob);

/**
 * Whether the IAM glob `pattern` matches the plain string `text` (whose `*` and `?` are literal
 * characters).
 *
 * @example matchesGlob('s3:Get*', 's3:GetObject', { caseInsensitive: true }) // true
 */
const matchesGlob = (pattern: string, text: string, options: GlobOptions): boolean =>
  globMatcher(pattern, options)(text);

/**
 * `matchesGlob` with `pattern` fixed and prepared once: for matching one pattern against many
 * texts (the session guards try each allowed pattern on every guarded action).
 */
const globMatcher = (pattern: string, options: GlobOptions): ((text: string) => boolean) => {
  const prepared = prepare(pattern, options);
  return (text) => wildcardMatch(prepared, options.caseInsensitive ? text.toLowerCase() : text, false);
};

/**
 * Whether every string the IAM glob `requested` can match is also matched by the IAM glob
 * `ceiling`. Sound (never true when some string escapes the ceiling) and conservative: a ceiling
 * `?` never covers a requested `*`, a ceiling literal only the same literal.
 *
 * @example globCovers('arn:aws:s3:::example-*', 'arn:aws:s3:::example-bucket/*', { caseInsensitive: false }) // true
 * @example globCovers('a?c', 'a*c', { caseInsensitive: false }) // false: `a*c` also matches `ac`
 */
const globCovers = (ceiling: string, requested: string, options: GlobOptions): boolean =>
  wildcardMatch(prepare(ceiling, options), prepare(requested, options), true);

export type { GlobOptions };
export { globCovers, globMatcher, matchesGlob };
