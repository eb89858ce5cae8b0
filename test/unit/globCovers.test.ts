import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { globCovers, globMatcher, matchesGlob } from '../../functions/domain/globCovers.js';

const CASE_SENSITIVE = { caseInsensitive: false };
const CASE_INSENSITIVE = { caseInsensitive: true };

describe('globCovers', () => {
  it.each([
    ['arn:aws:s3:::example-*/*', 'arn:aws:s3:::example-bucket/*', true],
    ['arn:aws:s3:::example-*', 'arn:aws:s3:::example-bucket/*', true],
    ['arn:aws:s3:::example-*/*', 'arn:aws:s3:::example-*', false],
    ['arn:aws:s3:::example-bucket/*', 'arn:aws:s3:::example-bucket', false],
    ['arn:aws:s3:::example-bucket/*', 'arn:aws:s3:::other-bucket/*', false],
    ['*', '*', true],
    ['*', 'arn:aws:s3:::anything/*?*', true],
    ['*', '', true],
    ['', '', true],
    ['', '*', false],
    ['abc', 'abc', true],
    ['abc', 'abd', false],
    ['abc', 'ab', false],
    ['ab', 'abc', false],
    ['a?c', 'abc', true],
    ['a?c', 'a?c', true],
    ['a?c', 'a*c', false],
    ['a?c', 'ac', false],
    ['abc', 'a?c', false],
    ['a*c', 'a?c', true],
    ['a*c', 'a*c', true],
    ['a*c', 'a*b*c', true],
    ['a*b*c', 'a*c', false],
    ['a*', 'a', true],
    ['a*', '*a', false],
    ['?*', '*?', true],
    ['*?', '?*', true],
    ['??*', '*?*?', true],
    ['???', '*', false],
    ['?*', '*', false],
    ['a**b', 'a*b', true],
    ['*a', 'b*a', true],
    ['*a*', 'x*a*y', true],
    ['x*y', 'x*a*y', true],
    ['x?y', 'x**y', false],
  ])('ceiling %j covers %j: %s', (ceiling, requested, expected) => {
    expect(globCovers(ceiling, requested, CASE_SENSITIVE)).toBe(expected);
  });

  it.each([
    ['s3:Get*', 'S3:GETOBJECT', true, false],
    ['S3:*', 's3:Get*', true, false],
    ['arn:aws:s3:::Bucket/*', 'arn:aws:s3:::bucket/*', true, false],
  ])('ceiling %j covers %j ignoring case: %s, respecting case: %s', (ceiling, requested, insensitive, sensitive) => {
    expect(globCovers(ceiling, requested, CASE_INSENSITIVE)).toBe(insensitive);
    expect(globCovers(ceiling, requested, CASE_SENSITIVE)).toBe(sensitive);
  });

  it.each([
    ['many stars against a text that almost matches', `${'*a'.repeat(1000)}b`, 'a'.repeat(2000), false],
    ['many stars against a requested pattern full of stars', '*a'.repeat(1000), `${'a*'.repeat(999)}a`, true],
    ['question marks against stars', '?'.repeat(2000), '*'.repeat(2000), false],
    ['a long literal prefix', `${'x'.repeat(2000)}*`, `${'x'.repeat(2000)}/key`, true],
    ['alternating wildcards', '*?'.repeat(1000), '?*'.repeat(1000), true],
  ])('completes on hostile input: %s', (_name, ceiling, requested, expected) => {
    expect(globCovers(ceiling, requested, CASE_SENSITIVE)).toBe(expected);
  });
});

describe('matchesGlob', () => {
  it.each([
    ['s3:Get*', 's3:GetObject', true],
    ['s3:Get*', 's3:PutObject', false],
    ['s3:Get?bject', 's3:GetObject', true],
    ['s3:Get?bject', 's3:GetObjects', false],
    ['*', '', true],
    ['?', '', false],
    ['a?c', 'a*c', true],
    ['abc', 'a?c', false],
    ['*Object', 's3:GetObject', true],
  ])('pattern %j matches %j: %s', (pattern, text, expected) => {
    expect(matchesGlob(pattern, text, CASE_SENSITIVE)).toBe(expected);
  });

  it.each([
    ['s3:get*', 's3:GetObject', true, false],
    ['S3:GETOBJECT', 's3:GetObject', true, false],
  ])('pattern %j matches %j ignoring case: %s, respecting case: %s', (pattern, text, insensitive, sensitive) => {
    expect(matchesGlob(pattern, text, CASE_INSENSITIVE)).toBe(insensitive);
    expect(matchesGlob(pattern, text, CASE_SENSITIVE)).toBe(sensitive);
  });

  it('completes on a 2,000-character pattern of stars that cannot match', () => {
    expect(matchesGlob(`${'*a'.repeat(1000)}b`, 'a'.repeat(2000), CASE_SENSITIVE)).toBe(false);
  });
});

describe('globMatcher', () => {
  const globText = fc.string({ unit: fc.constantFrom('a', 'B', 'b', '*', '?', ':'), maxLength: 8 });

  /** An independent oracle for short ASCII inputs: the glob as an anchored regular expression. */
  const oracle = (pattern: string, text: string, caseInsensitive: boolean): boolean => {
    const source = [...pattern].map((c) =>
      c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[$()*+.?[\\\]^{|}]/g, '\\$&')
    );
    return new RegExp(`^${source.join('')}$`, caseInsensitive ? 'is' : 's').test(text);
  };

  it('matches as the glob means, for every text, the pattern prepared once', () => {
    fc.assert(
      fc.property(globText, fc.array(globText, { maxLength: 5 }), fc.boolean(), (pattern, texts, caseInsensitive) => {
        const matches = globMatcher(pattern, { caseInsensitive });
        for (const text of texts) expect(matches(text)).toBe(oracle(pattern, text, caseInsensitive));
      }),
      { numRuns: 500 }
    );
  });

  it('keeps the case rule it was made with', () => {
    expect(globMatcher('S3:GET*', CASE_INSENSITIVE)('s3:GetObject')).toBe(true);
    expect(globMatcher('S3:GET*', CASE_SENSITIVE)('s3:GetObject')).toBe(false);
  });
});
