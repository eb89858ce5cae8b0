import type { ZodMiniType } from 'zod/mini';
import { describeIssues } from '../../config/describeIssues.js';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../../domain/errors.js';
import { quoteInput, unacceptableText } from '../../domain/untrustedText.js';
import type { HttpEvent } from './httpTypes.js';
import { checkJsonText } from './strictJson.js';

/** Grant requests are small; anything bigger is a mistake or an attack. */
const MAX_BODY_BYTES = 16 * 1024;

type BodyRule = { readonly schema: ZodMiniType; readonly required: boolean };

const rawBody = (event: HttpEvent): string | undefined => {
  if (event.body === undefined || event.body === '') return undefined;
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
};

const isJson = (contentType: string | undefined): boolean =>
  /^application\/json\s*(?:;|$)/i.test(contentType?.trim() ?? '');

/** A message names this many problems and counts the rest: it says what to fix without echoing a flood. */
const PROBLEMS_SHOWN = 5;

/** Validates `value` against `schema`; the problems are named in one message. */
const validated = <T>(schema: ZodMiniType<T>, value: unknown, what: string): T => {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const unknownOnly = result.error.issues.every((i) => i.code === 'unrecognized_keys');
  const problems = describeIssues(result.error.issues, value);
  const more = problems.length - PROBLEMS_SHOWN;
  throw new ValidationError(
    unknownOnly ? 'UNKNOWN_FIELD' : 'INVALID_REQUEST',
    `invalid ${what}: ${problems.slice(0, PROBLEMS_SHOWN).join('; ')}${more > 0 ? `; and ${more} more problems` : ''}`
  );
};

/** Query and path values are text like any other: the same characters are refused there. */
const checkTexts = (values: Readonly<Record<string, string | undefined>>, what: string): void => {
  for (const [name, value] of Object.entries(values)) {
    const problem = unacceptableText(name) ?? (value === undefined ? undefined : unacceptableText(value));
    if (problem !== undefined) throw new ValidationError('INVALID_TEXT', `the ${what} ${problem}`);
  }
};

/** The path parameters, once their text is known to be acceptable. */
const parseParams = (event: HttpEvent): Readonly<Record<string, string>> => {
  const params = (event.pathParameters ?? {}) as Record<string, string>;
  checkTexts(params, 'path');
  return params;
};

/** The JSON body, checked for size, content type, syntax and shape — in that order. */
const parseBody = (event: HttpEvent, rule: BodyRule): unknown => {
  const text = rawBody(event);
  if (text === undefined) {
    if (rule.required) throw new ValidationError('MISSING_BODY', 'send a JSON body with this request');
    return validated(rule.schema, {}, 'body');
  }
  if (Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) {
    throw new PayloadTooLargeError('BODY_TOO_LARGE', `the body must be at most ${MAX_BODY_BYTES} bytes`);
  }
  const headers = event.headers ?? {};
  if (!isJson(headers['content-type'] ?? headers['Content-Type'])) {
    throw new UnsupportedMediaTypeError('UNSUPPORTED_MEDIA_TYPE', "send the body as 'content-type: application/json'");
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ValidationError('MALFORMED_JSON', `the body is not valid JSON: ${quoteInput((error as Error).message)}`);
  }
  checkJsonText(text);
  return validated(rule.schema, value, 'body');
};

const parseQuery = <T>(event: HttpEvent, schema: ZodMiniType<T>): T => {
  const query = event.queryStringParameters ?? {};
  checkTexts(query, 'query string');
  return validated(schema, query, 'query');
};

export type { BodyRule };
export { MAX_BODY_BYTES, parseBody, parseParams, parseQuery, validated };
