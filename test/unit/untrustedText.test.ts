import { describe, expect, it } from 'vitest';
import {
  displaySafe,
  displaySafeLines,
  foldLineBreaks,
  quoteInput,
  quoteInputs,
  unacceptableText,
  visibleLength,
} from '../../functions/domain/untrustedText.js';

describe('unacceptableText', () => {
  it.each([
    ['plain text', 'debug the nightly export'],
    ['accents and CJK', 'réparer la base 数据库'],
    ['an emoji with a zero-width joiner', 'pairing 👩‍💻 on it'],
    ['right-to-left text with a bidi mark', 'תיקון\u200f באג'],
    ['tabs and line breaks (folded later by free-text fields)', 'a\tb\r\nc'],
    ['a paired surrogate', '\ud83d\ude00'],
  ])('accepts %s', (_what, text) => {
    expect(unacceptableText(text)).toBeUndefined();
  });

  it.each([
    ['an unpaired high surrogate', 'reason \ud800 here', 'unpaired UTF-16 surrogate'],
    ['an unpaired low surrogate', '\udc00', 'unpaired UTF-16 surrogate'],
    ['a reversed pair', '\ude00\ud83d', 'unpaired UTF-16 surrogate'],
    ['an ANSI clear-screen escape', 'ok\u001b[2JAPPROVED by security', 'U+001B at position 3'],
    ['NUL', 'a\u0000b', 'U+0000'],
    ['DEL', 'a\u007fb', 'U+007F'],
    ['the 8-bit CSI', 'a\u009b2J', 'U+009B'],
    ['a right-to-left override', 'invoice\u202Etxt.exe', 'U+202E'],
    ['a first-strong isolate', 'a\u2068b', 'U+2068'],
    ['a vertical tab', 'a\u000bb', 'U+000B'],
  ])('refuses %s', (_what, text, fragment) => {
    expect(unacceptableText(text)).toContain(fragment);
  });
});

describe('visibleLength', () => {
  it.each([
    ['twelve zero-width spaces', '\u200b'.repeat(12), 0],
    ['zero-width spaces between spaces', ' \u200b'.repeat(12), 0],
    ['word joiners and BOMs around nine letters', '\u2060abcdefghi\ufeff\u200d', 9],
    ['Hangul fillers', '\u3164'.repeat(20), 0],
    ['plain words with spaces', 'fix prod db', 11],
    ['an emoji family as one character', '👨‍👩‍👧‍👦', 1],
    ['a letter with a combining accent as one character', 'e\u0301', 1],
    ['surrounding spaces', '   abc   ', 3],
  ])('counts %s', (_what, text, expected) => {
    expect(visibleLength(text)).toBe(expected);
  });
});

describe('foldLineBreaks', () => {
  it('keeps free text on one line', () => {
    expect(foldLineBreaks('line one\r\n\tline two\u2028three')).toBe('line one line two three');
  });
});

describe('displaySafe', () => {
  it('shows an ANSI escape instead of obeying it', () => {
    expect(displaySafe('\u001b[2J\u001b[1;1HAPPROVED by security')).toBe('\\u001b[2J\\u001b[1;1HAPPROVED by security');
  });

  it('cannot forge a line, reorder text or hide characters', () => {
    expect(displaySafe('ok\nreview     reviewed by security')).toBe('ok\\u000areview     reviewed by security');
    expect(displaySafe('invoice\u202Etxt.exe')).toBe('invoice\\u202etxt.exe');
    expect(displaySafe('a\u200bb\u00adc')).toBe('a\\u200bb\\u00adc');
  });

  it('escapes an unpaired surrogate and both halves of an astral format character', () => {
    expect(displaySafe('\ud800x')).toBe('\\ud800x');
    expect(displaySafe('\u{E0041}')).toBe('\\udb40\\udc41');
  });

  it('leaves ordinary text alone', () => {
    const text = 'réparer 数据库 arn:aws:s3:::bucket/* 😀 "quoted" \\ back';
    expect(displaySafe(text)).toBe(text);
  });

  it('keeps JSON valid and its meaning unchanged', () => {
    const value = { reason: 'x\u202Ey\u0085z\u2028', id: '\ud800' };
    const safe = displaySafe(JSON.stringify(value));
    expect(safe).not.toMatch(/[\u0085\u2028\u202e]/);
    expect(JSON.parse(safe)).toEqual(value);
  });

  it('keeps the line breaks of multi-line output', () => {
    expect(displaySafeLines('one\u001b[31m\ntwo')).toBe('one\\u001b[31m\ntwo');
  });
});

describe('quoteInput and quoteInputs', () => {
  it('cuts a long value to 80 characters', () => {
    const quoted = quoteInput('k'.repeat(10_000));
    expect(quoted).toHaveLength(82);
    expect(quoted.endsWith("…'")).toBe(true);
  });

  it('never splits a surrogate pair when cutting', () => {
    expect(quoteInput('😀'.repeat(100))).not.toMatch(/\\ud83d'|\\ud83d…/);
  });

  it('shows the first five of many values and counts the rest', () => {
    const keys = Array.from({ length: 1500 }, (_, i) => `key${i}`);
    expect(quoteInputs(keys)).toBe("'key0', 'key1', 'key2', 'key3', 'key4' and 1,495 more");
  });
});
