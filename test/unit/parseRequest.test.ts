import { describe, expect, it } from 'vitest';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../../functions/domain/errors.js';
import type { HttpEvent } from '../../functions/handlers/http/httpTypes.js';
import {
  type BodyRule,
  MAX_BODY_BYTES,
  parseBody,
  parseParams,
  parseQuery,
} from '../../functions/handlers/http/parseRequest.js';
import {
  ciCredentialsBody,
  createGrantBody,
  extendBody,
  listGrantsQuery,
  optionalCommentBody,
  requiredCommentBody,
  revokeBody,
} from '../../functions/handlers/schemas.js';
import { thrownBy as thrown } from '../helpers/thrown.js';

const CREATE: BodyRule = { schema: createGrantBody, required: true };
const OPTIONAL_COMMENT: BodyRule = { schema: optionalCommentBody, required: false };
const REQUIRED_COMMENT: BodyRule = { schema: requiredCommentBody, required: true };

const VALID = {
  role: 'prod-read',
  scope: { actions: ['s3:GetObject'], resources: ['arn:aws:s3:::example-bucket/*'] },
  durationSeconds: 1800,
  reason: 'debug the failing nightly export',
  ticket: 'INC-1234',
};

const JSON_TYPE = { 'content-type': 'application/json' };

const httpEvent = (
  parts: {
    body?: string;
    headers?: Record<string, string>;
    isBase64Encoded?: boolean;
    query?: Record<string, string>;
  } = {}
): HttpEvent =>
  ({
    version: '2.0',
    routeKey: 'POST /grants',
    rawPath: '/grants',
    rawQueryString: '',
    headers: parts.headers ?? {},
    isBase64Encoded: parts.isBase64Encoded ?? false,
    ...(parts.body === undefined ? {} : { body: parts.body }),
    ...(parts.query === undefined ? {} : { queryStringParameters: parts.query }),
    requestContext: {},
  }) as unknown as HttpEvent;

const jsonEvent = (value: unknown, headers: Record<string, string> = JSON_TYPE): HttpEvent =>
  httpEvent({ body: JSON.stringify(value), headers });

const thrownBy = (fn: () => unknown) => thrown(fn) as Error & { code?: string; kind?: string };

describe('parseBody', () => {
  it('returns a valid grant request', () => {
    expect(parseBody(jsonEvent(VALID), CREATE)).toEqual(VALID);
  });

  it('trims the reason', () => {
    expect(parseBody(jsonEvent({ ...VALID, reason: '  debug the failing export  ' }), CREATE)).toMatchObject({
      reason: 'debug the failing export',
    });
  });

  it('accepts a body of exactly MAX_BODY_BYTES', () => {
    const padding = 'x'.repeat(MAX_BODY_BYTES - JSON.stringify({ comment: '' }).length);
    const body = JSON.stringify({ comment: padding });
    expect(Buffer.byteLength(body)).toBe(MAX_BODY_BYTES);
    const error = thrownBy(() => parseBody(httpEvent({ body, headers: JSON_TYPE }), OPTIONAL_COMMENT));
    // The comment is too long for the schema, but the size check lets it through.
    expect(error.code).toBe('INVALID_REQUEST');
  });

  it('rejects a body over MAX_BODY_BYTES with BODY_TOO_LARGE', () => {
    const body = JSON.stringify({ ...VALID, reason: 'x'.repeat(MAX_BODY_BYTES) });
    const error = thrownBy(() => parseBody(httpEvent({ body, headers: JSON_TYPE }), CREATE));
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect(error).toMatchObject({ code: 'BODY_TOO_LARGE', kind: 'too-large' });
    expect(error.message).toContain(String(MAX_BODY_BYTES));
  });

  it('counts bytes, not characters, against MAX_BODY_BYTES', () => {
    const reason = 'é'.repeat(MAX_BODY_BYTES / 2);
    const body = JSON.stringify({ ...VALID, reason });
    expect(body.length).toBeLessThan(MAX_BODY_BYTES);
    expect(thrownBy(() => parseBody(httpEvent({ body, headers: JSON_TYPE }), CREATE)).code).toBe('BODY_TOO_LARGE');
  });

  it('checks the size before the content type', () => {
    const body = 'x'.repeat(MAX_BODY_BYTES + 1);
    expect(thrownBy(() => parseBody(httpEvent({ body, headers: { 'content-type': 'text/plain' } }), CREATE)).code).toBe(
      'BODY_TOO_LARGE'
    );
  });

  it.each([
    ['no content-type', {}],
    ['text/plain', { 'content-type': 'text/plain' }],
    ['form encoding', { 'content-type': 'application/x-www-form-urlencoded' }],
    ['a look-alike type', { 'content-type': 'application/jsonp' }],
    ['a JSON suffix type', { 'content-type': 'application/problem+json' }],
  ])('rejects a body with %s with UNSUPPORTED_MEDIA_TYPE', (_what, headers) => {
    const error = thrownBy(() => parseBody(jsonEvent(VALID, headers), CREATE));
    expect(error).toBeInstanceOf(UnsupportedMediaTypeError);
    expect(error).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', kind: 'unsupported-media-type' });
  });

  it.each([
    ['a charset parameter', { 'content-type': 'application/json; charset=utf-8' }],
    ['upper case', { 'content-type': 'Application/JSON' }],
    ['the Content-Type header spelling', { 'Content-Type': 'application/json' }],
    ['surrounding spaces', { 'content-type': ' application/json ' }],
  ])('accepts a JSON content type with %s', (_what, headers) => {
    expect(parseBody(jsonEvent(VALID, headers), CREATE)).toEqual(VALID);
  });

  it.each(['{"role": ', '{role: "prod-read"}', "{'a': 1}", 'undefined', '{"a":1}}'])(
    'rejects the malformed JSON %j with MALFORMED_JSON',
    (body) => {
      const error = thrownBy(() => parseBody(httpEvent({ body, headers: JSON_TYPE }), CREATE));
      expect(error).toBeInstanceOf(ValidationError);
      expect(error).toMatchObject({ code: 'MALFORMED_JSON', kind: 'invalid' });
      expect(error.message).toContain('the body is not valid JSON');
    }
  );

  it('rejects a body whose only problem is an unknown field with UNKNOWN_FIELD', () => {
    const error = thrownBy(() => parseBody(jsonEvent({ ...VALID, accountId: '999999999999' }), CREATE));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.code).toBe('UNKNOWN_FIELD');
    expect(error.message).toBe("invalid body: unknown field 'accountId'");
  });

  it('rejects an unknown field nested in scope with UNKNOWN_FIELD', () => {
    const error = thrownBy(() => parseBody(jsonEvent({ ...VALID, scope: { ...VALID.scope, principal: '*' } }), CREATE));
    expect(error.code).toBe('UNKNOWN_FIELD');
    expect(error.message).toContain("scope: unknown field 'principal'");
  });

  it('accepts IAM conditions in the scope and refuses what is not shaped like one', () => {
    const region = { StringEquals: { 'aws:RequestedRegion': 'us-east-1' } };
    expect(parseBody(jsonEvent({ ...VALID, scope: { ...VALID.scope, conditions: region } }), CREATE)).toMatchObject({
      scope: { conditions: region },
    });
    // Which operators exist and what their values mean is narrowScope's check (domain/conditions.ts).
    const error = thrownBy(() =>
      parseBody(
        jsonEvent({ ...VALID, scope: { ...VALID.scope, conditions: { 'String Equals': { 'aws:x': 'y' } } } }),
        CREATE
      )
    );
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.message).toContain("scope.conditions.String Equals: operators look like 'StringEquals'");
  });

  it('rejects an unknown field together with a real problem as INVALID_REQUEST', () => {
    const { reason: _reason, ...withoutReason } = VALID;
    const error = thrownBy(() => parseBody(jsonEvent({ ...withoutReason, requester: 'bob' }), CREATE));
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.message).toContain("unknown field 'requester'");
    expect(error.message).toContain('`reason` is required');
  });

  it('names every invalid field in one INVALID_REQUEST', () => {
    const { reason: _reason, ...withoutReason } = VALID;
    const body = {
      ...withoutReason,
      durationSeconds: '1800',
      scope: { actions: ['GetObject'], resources: VALID.scope.resources },
    };
    const error = thrownBy(() => parseBody(jsonEvent(body), CREATE));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.message).toMatch(/^invalid body: /);
    expect(error.message).toContain('`reason` is required');
    expect(error.message).toContain('durationSeconds: must be a number of seconds');
    expect(error.message).toContain("scope.actions[0]: must look like 'service:Action'");
  });

  it.each([
    ['a fractional duration', { durationSeconds: 1800.5 }, 'durationSeconds: must be a whole number of seconds'],
    [
      'a short reason',
      { reason: 'because' },
      'reason: say why you need this access, in at least 10 visible characters',
    ],
    ['a blank reason padded to length', { reason: '             ' }, 'reason: say why'],
    ['an upper-case role id', { role: 'Prod-Read' }, 'role: must be a role id from the catalog'],
    ['no actions', { scope: { actions: [], resources: ['*'] } }, 'scope.actions: name at least one action'],
    [
      'a bad resource',
      { scope: { actions: ['s3:GetObject'], resources: ['bucket'] } },
      'scope.resources[0]: must be an ARN',
    ],
    ['a bad ticket', { ticket: 'INC 1234' }, 'ticket: must be a ticket reference'],
  ])('rejects %s with INVALID_REQUEST naming the field', (_what, change, fragment) => {
    const error = thrownBy(() => parseBody(jsonEvent({ ...VALID, ...change }), CREATE));
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.message).toContain(fragment);
  });

  it('rejects a JSON value that is not an object with INVALID_REQUEST', () => {
    expect(thrownBy(() => parseBody(jsonEvent([VALID]), CREATE)).code).toBe('INVALID_REQUEST');
  });

  it('decodes a base64-encoded body', () => {
    const body = Buffer.from(JSON.stringify(VALID)).toString('base64');
    expect(parseBody(httpEvent({ body, isBase64Encoded: true, headers: JSON_TYPE }), CREATE)).toEqual(VALID);
  });

  it('decodes a base64-encoded body before checking its size', () => {
    const body = Buffer.from(JSON.stringify({ ...VALID, reason: 'x'.repeat(MAX_BODY_BYTES) })).toString('base64');
    expect(thrownBy(() => parseBody(httpEvent({ body, isBase64Encoded: true, headers: JSON_TYPE }), CREATE)).code).toBe(
      'BODY_TOO_LARGE'
    );
  });

  it.each([
    ['absent', httpEvent({ headers: JSON_TYPE })],
    ['empty', httpEvent({ body: '', headers: JSON_TYPE })],
  ])('rejects an %s body when one is required with MISSING_BODY', (_what, event) => {
    const error = thrownBy(() => parseBody(event, REQUIRED_COMMENT));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ code: 'MISSING_BODY', kind: 'invalid' });
  });

  it('treats an absent optional body as an empty object, whatever the content type', () => {
    expect(parseBody(httpEvent(), OPTIONAL_COMMENT)).toEqual({});
  });

  it('returns an optional comment, trimmed', () => {
    expect(parseBody(jsonEvent({ comment: '  ok  ' }), OPTIONAL_COMMENT)).toEqual({ comment: 'ok' });
  });

  it('rejects a required comment that is blank with INVALID_REQUEST', () => {
    const error = thrownBy(() => parseBody(jsonEvent({ comment: '   ' }), REQUIRED_COMMENT));
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.message).toContain('comment: ');
  });
});

describe('parseQuery', () => {
  it('returns an empty object when there is no query string', () => {
    expect(parseQuery(httpEvent(), listGrantsQuery)).toEqual({});
  });

  it.each([
    ['1', 1],
    ['50', 50],
    ['100', 100],
    ['007', 7],
  ])('accepts limit=%s as the number %i', (limit, expected) => {
    expect(parseQuery(httpEvent({ query: { limit } }), listGrantsQuery)).toEqual({ limit: expected });
  });

  it.each(['0', '101', '999', '1000', '-1', '1.5', 'ten', '', ' 5'])(
    'rejects limit=%j with INVALID_REQUEST',
    (limit) => {
      const error = thrownBy(() => parseQuery(httpEvent({ query: { limit } }), listGrantsQuery));
      expect(error).toBeInstanceOf(ValidationError);
      expect(error.code).toBe('INVALID_REQUEST');
      expect(error.message).toContain('invalid query: limit: must be a number from 1 to 100');
    }
  );

  it.each([
    ['?inbox', ''],
    ['?inbox=true', 'true'],
  ])('accepts %s', (_what, inbox) => {
    expect(parseQuery(httpEvent({ query: { inbox } }), listGrantsQuery)).toEqual({ inbox });
  });

  it('rejects inbox=false with INVALID_REQUEST', () => {
    const error = thrownBy(() => parseQuery(httpEvent({ query: { inbox: 'false' } }), listGrantsQuery));
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.message).toContain("inbox: use '?inbox' to list what you may approve");
  });

  it('rejects an unknown query parameter with UNKNOWN_FIELD', () => {
    const error = thrownBy(() => parseQuery(httpEvent({ query: { state: 'PENDING' } }), listGrantsQuery));
    expect(error.code).toBe('UNKNOWN_FIELD');
    expect(error.message).toBe("invalid query: unknown field 'state'");
  });

  it('rejects a cursor longer than 2048 characters with INVALID_REQUEST', () => {
    const error = thrownBy(() => parseQuery(httpEvent({ query: { cursor: 'a'.repeat(2049) } }), listGrantsQuery));
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.message).toContain('cursor: ');
  });
});

/** Every required field of every route's body, and a body that has all of them. */
const REQUIRED_FIELDS: [string, BodyRule, Record<string, unknown>, string[]][] = [
  ['createGrant', CREATE, VALID, ['role', 'scope', 'scope.actions', 'scope.resources', 'durationSeconds', 'reason']],
  ['denyGrant and reviewGrant', REQUIRED_COMMENT, { comment: 'not for prod' }, ['comment']],
  ['revokeGrant', { schema: revokeBody, required: true }, { reason: 'left the team' }, ['reason']],
  [
    'extendGrant',
    { schema: extendBody, required: true },
    { durationSeconds: 900, reason: 'backfill is slow' },
    ['durationSeconds', 'reason'],
  ],
  ['ciCredentials', { schema: ciCredentialsBody, required: true }, { template: 'deploy' }, ['template']],
];

const without = (value: Record<string, unknown>, path: string): Record<string, unknown> => {
  const [head, ...rest] = path.split('.') as [string, ...string[]];
  if (rest.length === 0) {
    const { [head]: _gone, ...kept } = value;
    return kept;
  }
  return { ...value, [head]: without(value[head] as Record<string, unknown>, rest.join('.')) };
};

describe('missing fields', () => {
  it.each(
    REQUIRED_FIELDS.flatMap(([route, rule, valid, fields]) =>
      fields.map((field) => [route, field, rule, valid] as const)
    )
  )('%s: a body without `%s` says it is required', (_route, field, rule, valid) => {
    expect(() => parseBody(jsonEvent(valid), rule)).not.toThrow();
    const error = thrownBy(() => parseBody(jsonEvent(without(valid, field)), rule));
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.message).toBe(`invalid body: \`${field}\` is required`);
  });

  it('a field sent as null is a wrong value, not a missing one', () => {
    const error = thrownBy(() => parseBody(jsonEvent({ ...VALID, reason: null }), CREATE));
    expect(error.message).not.toContain('required');
    expect(error.message).toContain('reason: ');
  });
});

describe('what error messages echo', () => {
  it('names the first unknown keys of 1,500 and counts the rest', () => {
    const extra = Object.fromEntries(Array.from({ length: 1500 }, (_, i) => [`f${i}`, 1]));
    const error = thrownBy(() => parseBody(jsonEvent({ comment: 'ok', ...extra }), OPTIONAL_COMMENT));
    expect(error.code).toBe('UNKNOWN_FIELD');
    expect(error.message).toBe("invalid body: unknown fields 'f0', 'f1', 'f2', 'f3', 'f4' and 1,495 more");
  });

  it('cuts a long unknown key short', () => {
    const error = thrownBy(() => parseBody(jsonEvent({ ['k'.repeat(10_000)]: 1 }), OPTIONAL_COMMENT));
    expect(error.message.length).toBeLessThan(150);
  });

  it('names five problems of fifty and counts the rest', () => {
    const resources = Array.from({ length: 50 }, (_, i) => `bucket-${i}`);
    const error = thrownBy(() =>
      parseBody(jsonEvent({ ...VALID, scope: { actions: ['s3:GetObject'], resources } }), CREATE)
    );
    expect(error.message).toContain('scope.resources[4]: must be an ARN');
    expect(error.message).not.toContain('scope.resources[5]');
    expect(error.message).toMatch(/; and 45 more problems$/);
  });

  it('cuts a long record key in a path short', () => {
    const inputs = { ['x-'.repeat(3000)]: 'v' };
    const error = thrownBy(() =>
      parseBody(jsonEvent({ template: 'deploy', inputs }), { schema: ciCredentialsBody, required: true })
    );
    expect(error.message.length).toBeLessThan(300);
  });
});

describe('text in the body, the query string and the path', () => {
  it.each([
    ['an unpaired surrogate in the reason', { reason: 'debug the export \ud800 job' }],
    [
      'an unpaired surrogate in a resource ARN',
      { scope: { actions: ['s3:GetObject'], resources: ['arn:aws:s3:::b/\udc00'] } },
    ],
    ['an ANSI escape in the reason', { reason: '\u001b[2J\u001b[HAPPROVED by security' }],
    ['a bidi override in the ticket', { ticket: 'INC-1\u202e' }],
  ])('refuses %s with INVALID_TEXT', (_what, change) => {
    const error = thrownBy(() => parseBody(jsonEvent({ ...VALID, ...change }), CREATE));
    expect(error.code).toBe('INVALID_TEXT');
  });

  it('folds line breaks and tabs in free text into spaces', () => {
    expect(parseBody(jsonEvent({ ...VALID, reason: 'debug\r\nthe\texport  job' }), CREATE)).toMatchObject({
      reason: 'debug the export  job',
    });
  });

  it('does not count invisible characters towards the minimum length', () => {
    const error = thrownBy(() => parseBody(jsonEvent({ ...VALID, reason: '\u200b'.repeat(12) }), CREATE));
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.message).toContain('reason: say why you need this access, in at least 10 visible characters');
    const padded = thrownBy(() => parseBody(jsonEvent({ ...VALID, reason: `abc${'\u200b'.repeat(20)}def` }), CREATE));
    expect(padded.code).toBe('INVALID_REQUEST');
  });

  it('refuses an unpaired surrogate in the query string with INVALID_TEXT', () => {
    const error = thrownBy(() => parseQuery(httpEvent({ query: { cursor: 'abc\ud800' } }), listGrantsQuery));
    expect(error.code).toBe('INVALID_TEXT');
  });

  it('refuses a control character in a path parameter with INVALID_TEXT', () => {
    const event = { ...httpEvent(), pathParameters: { kind: 'usage\u001b[2J' } } as HttpEvent;
    expect(thrownBy(() => parseParams(event)).code).toBe('INVALID_TEXT');
    expect(parseParams({ ...httpEvent(), pathParameters: { kind: 'usage' } } as HttpEvent)).toEqual({ kind: 'usage' });
  });
});
