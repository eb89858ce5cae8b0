import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../functions/domain/errors.js';
import { checkJsonText, MAX_DEPTH } from '../../functions/handlers/http/strictJson.js';
import { thrownBy } from '../helpers/thrown.js';

const refusal = (text: string) => {
  JSON.parse(text); // every case is valid JSON: only the strict checks can refuse it
  const error = thrownBy(() => checkJsonText(text));
  expect(error).toBeInstanceOf(ValidationError);
  return error as ValidationError;
};

describe('checkJsonText', () => {
  it.each([
    ['a grant request', '{"role":"r","scope":{"actions":["s3:GetObject"],"conditions":{"Bool":{"aws:x":"true"}}}}'],
    ['the same key in sibling objects', '{"a":{"k":1},"b":{"k":2},"c":[{"k":1},{"k":2}]}'],
    ['escaped quotes and backslashes in strings', '{"a":"he said \\"{\\" and \\\\","b\\"":1}'],
    ['a key spelt like a reserved one', '{"Constructor":1,"proto":2,"__proto":3}'],
    ['reserved words as values', '{"a":"__proto__","b":["constructor"]}'],
    ['scalars at the top', '"text"'],
    ['whitespace everywhere', ' { "a" : [ 1 , 2 ] , "b" : { } } '],
  ])('accepts %s', (_what, text) => {
    expect(() => checkJsonText(text)).not.toThrow();
  });

  it.each([
    ['a duplicate key at the top', '{"role":"a","role":"b"}', 'DUPLICATE_KEY', "the key 'role' appears more than once"],
    [
      'a duplicate key deep inside',
      '{"scope":{"conditions":{"Bool":{"aws:x":"true","aws:x":"false"}}}}',
      'DUPLICATE_KEY',
      'scope.conditions.Bool:',
    ],
    ['a duplicate key written with an escape', '{"reason":"a","re\\u0061son":"b"}', 'DUPLICATE_KEY', "'reason'"],
    ['a duplicate key in an array element', '{"a":[{"k":1},{"k":1,"k":2}]}', 'DUPLICATE_KEY', 'a[1]:'],
    [
      '__proto__ in conditions',
      '{"scope":{"conditions":{"__proto__":{"aws:x":"y"}}}}',
      'RESERVED_KEY',
      'scope.conditions:',
    ],
    [
      '__proto__ in an operator',
      '{"scope":{"conditions":{"Bool":{"__proto__":"true"}}}}',
      'RESERVED_KEY',
      'scope.conditions.Bool:',
    ],
    ['constructor at the top', '{"constructor":{"prototype":1}}', 'RESERVED_KEY', "'constructor'"],
    ['prototype', '{"a":{"prototype":1}}', 'RESERVED_KEY', "'prototype'"],
    ['an escaped __proto__', '{"\\u005f_proto__":1}', 'RESERVED_KEY', "'__proto__'"],
    [
      'an escaped lone surrogate in a value',
      '{"reason":"abc\\ud800def"}',
      'INVALID_TEXT',
      'reason: the value contains an unpaired',
    ],
    ['a raw lone surrogate in a value', `{"reason":"abc${'\ud800'}"}`, 'INVALID_TEXT', 'unpaired'],
    [
      'a lone surrogate in an ARN',
      '{"scope":{"resources":["arn:aws:s3:::b/\\udfff"]}}',
      'INVALID_TEXT',
      'scope.resources[0]:',
    ],
    ['a lone surrogate in a key', '{"a\\ud800":1}', 'INVALID_TEXT', 'the key contains an unpaired'],
    ['an ANSI escape', '{"reason":"\\u001b[2J APPROVED by security"}', 'INVALID_TEXT', 'U+001B'],
    ['a bidi override', '{"comment":"fine \\u202e"}', 'INVALID_TEXT', 'U+202E'],
  ])('refuses %s with %s, naming where', (_what, text, code, fragment) => {
    const error = refusal(text);
    expect(error.code).toBe(code);
    expect(error.message).toContain(fragment);
  });

  it('refuses nesting deeper than MAX_DEPTH with NESTED_TOO_DEEP', () => {
    expect(() => checkJsonText('['.repeat(MAX_DEPTH) + ']'.repeat(MAX_DEPTH))).not.toThrow();
    const deep = '['.repeat(MAX_DEPTH + 1) + ']'.repeat(MAX_DEPTH + 1);
    expect(refusal(deep).code).toBe('NESTED_TOO_DEEP');
  });

  it('bounds what it echoes of a long duplicate key', () => {
    const key = 'k'.repeat(5000);
    const error = refusal(`{"${key}":1,"${key}":2}`);
    expect(error.message.length).toBeLessThan(250);
  });
});
