import { pathText } from '../../config/describeIssues.js';
import { ValidationError } from '../../domain/errors.js';
import { quoteInput, unacceptableText } from '../../domain/untrustedText.js';

/** Far deeper than any request body (a grant request's conditions sit four levels down). */
const MAX_DEPTH = 16;

/**
 * Keys that plain JavaScript objects treat specially: copied into a record, `__proto__` sets the
 * prototype instead of a key and the entry silently disappears (a condition the requester asked
 * for would vanish from the session policy). No field of the API is named like this.
 */
const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

type Frame = { kind: 'object'; keys: Set<string>; key?: string; expectKey: boolean } | { kind: 'array'; index: number };

const pathOf = (stack: readonly Frame[]): (string | number)[] =>
  stack.flatMap((frame): (string | number)[] =>
    frame.kind === 'array' ? [frame.index] : frame.key === undefined ? [] : [frame.key]
  );

const where = (path: readonly (string | number)[]): string => (path.length === 0 ? '' : `${pathText(path)}: `);

/** The end of the string token that starts at `start` (its closing quote). */
const stringEnd = (text: string, start: number): number => {
  let i = start + 1;
  while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
  return i;
};

/** `path` is where the object holding the key is. */
const checkKey = (frame: Frame & { kind: 'object' }, key: string, path: readonly (string | number)[]): void => {
  const at = where(path);
  if (RESERVED_KEYS.has(key)) {
    throw new ValidationError('RESERVED_KEY', `${at}${quoteInput(key)} cannot be used as a key; rename or remove it`);
  }
  if (frame.keys.has(key)) {
    throw new ValidationError(
      'DUPLICATE_KEY',
      `${at}the key ${quoteInput(key)} appears more than once; send each key once (JSON parsers disagree on which one wins)`
    );
  }
  frame.keys.add(key);
};

const checkText = (value: string, path: readonly (string | number)[], what: 'key' | 'value'): void => {
  const problem = unacceptableText(value);
  if (problem !== undefined) {
    throw new ValidationError('INVALID_TEXT', `${where(path)}the ${what} ${problem}`);
  }
};

/**
 * Checks a JSON text that `JSON.parse` has already accepted for what `JSON.parse` lets through
 * silently: a key given twice (the last one would win), a {@link RESERVED_KEYS reserved key},
 * nesting deeper than {@link MAX_DEPTH}, and any key or string that is not acceptable text
 * (untrustedText.ts: unpaired surrogates, terminal controls, bidi overrides). Keys are compared as
 * parsed, so `"a"` and `"\u0061"` are the same key.
 *
 * A scanner rather than a second parser: because the syntax is already known to be valid, it only
 * has to follow brackets and strings, in one pass over at most 16 KB.
 *
 * @throws ValidationError `DUPLICATE_KEY`, `RESERVED_KEY`, `NESTED_TOO_DEEP` or `INVALID_TEXT`,
 *   naming where in the body.
 */
const checkJsonText = (text: string): void => {
  const stack: Frame[] = [];
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i];
    const top = stack.at(-1);
    if (char === '{' || char === '[') {
      if (stack.length === MAX_DEPTH) {
        throw new ValidationError('NESTED_TOO_DEEP', `the body nests deeper than ${MAX_DEPTH} levels`);
      }
      stack.push(char === '{' ? { kind: 'object', keys: new Set(), expectKey: true } : { kind: 'array', index: 0 });
    } else if (char === '}' || char === ']') {
      stack.pop();
    } else if (char === ',' && top !== undefined) {
      if (top.kind === 'array') top.index += 1;
      else top.expectKey = true;
    } else if (char === ':' && top?.kind === 'object') {
      top.expectKey = false;
    } else if (char === '"') {
      const end = stringEnd(text, i);
      const value = JSON.parse(text.slice(i, end + 1)) as string;
      if (top?.kind === 'object' && top.expectKey) {
        const objectPath = pathOf(stack.slice(0, -1));
        checkText(value, objectPath, 'key');
        checkKey(top, value, objectPath);
        top.key = value;
      } else {
        checkText(value, pathOf(stack), 'value');
      }
      i = end;
    }
  }
};

export { checkJsonText, MAX_DEPTH, RESERVED_KEYS };
