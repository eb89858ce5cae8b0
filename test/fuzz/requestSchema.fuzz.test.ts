import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BrokerError } from '../../functions/domain/errors.js';
import type { HttpEvent } from '../../functions/handlers/http/httpTypes.js';
import { type BodyRule, parseBody } from '../../functions/handlers/http/parseRequest.js';
import { errorResponse } from '../../functions/handlers/http/responses.js';
import {
  ciCredentialsBody,
  createGrantBody,
  extendBody,
  optionalCommentBody,
  requiredCommentBody,
  revokeBody,
} from '../../functions/handlers/schemas.js';
import { seeded } from './seeded.js';

/**
 * Properties of the request validation, stated as behaviour (what is accepted, what a refusal looks
 * like), not as the validator library's: whatever replaces it must keep every one of them.
 */
const CREATE: BodyRule = { schema: createGrantBody, required: true };
const RULES: [string, BodyRule][] = [
  ['createGrant', CREATE],
  ['comment (optional)', { schema: optionalCommentBody, required: false }],
  ['comment (required)', { schema: requiredCommentBody, required: true }],
  ['revoke', { schema: revokeBody, required: true }],
  ['extend', { schema: extendBody, required: true }],
  ['ciCredentials', { schema: ciCredentialsBody, required: true }],
];
/** A refusal says what to fix in a message a person can read: never the whole input back. */
const MAX_MESSAGE = 1200;

const bodyEvent = (body: string, contentType = 'application/json'): HttpEvent =>
  ({
    headers: { 'content-type': contentType },
    body,
    isBase64Encoded: false,
    requestContext: {},
  }) as unknown as HttpEvent;

/** parseBody's outcome for `body`: the value, or the HTTP answer the edge would give. */
const outcome = (body: string, rule: BodyRule, contentType?: string) => {
  try {
    return { accepted: parseBody(bodyEvent(body, contentType), rule) };
  } catch (error) {
    const { response, unexpected } = errorResponse(error);
    return { refused: { status: response.statusCode, body: JSON.parse(response.body), unexpected, error } };
  }
};

const expectProperRefusal = (refused: NonNullable<ReturnType<typeof outcome>['refused']>): void => {
  expect(refused.unexpected, String(refused.error)).toBe(false);
  expect(refused.error).toBeInstanceOf(BrokerError);
  expect(refused.status).toBeGreaterThanOrEqual(400);
  expect(refused.status).toBeLessThan(500);
  expect(Object.keys(refused.body)).toEqual(['error']);
  expect(Object.keys(refused.body.error).sort()).toEqual(['code', 'message']);
  expect(refused.body.error.code).toMatch(/^[A-Z][A-Z_]+$/);
  expect(refused.body.error.message.length).toBeGreaterThan(0);
  expect(refused.body.error.message.length).toBeLessThanOrEqual(MAX_MESSAGE);
  // A message never carries a character that could drive the reader's terminal.
  expect(refused.body.error.message).not.toMatch(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]|\p{Cs}/u);
};

// ---- valid requests, from a small realistic alphabet -------------------------------------------

const word = fc.constantFrom('debug', 'the', 'nightly', 'export', 'job', 'für', 'デプロイ', 'fix', '👩‍💻', 'INC-42');
const reason = fc.array(word, { minLength: 4, maxLength: 30 }).map((words) => words.join(' '));
const action = fc.constantFrom('s3:GetObject', 's3:Get*', 's3:ListBucket', 'dynamodb:Query', 'logs:*', '*');
const resource = fc.constantFrom(
  '*',
  'arn:aws:s3:::example-bucket/*',
  'arn:aws:s3:::example-bucket',
  'arn:aws:dynamodb:us-east-1:123456789012:table/orders',
  'arn:aws:logs:us-east-1:123456789012:log-group:/app/*'
);
// biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable
const POLICY_VARIABLE_VALUE = 'home/${aws:username}/*';
const conditionValue = fc.constantFrom('us-east-1', 'eu-west-1', '203.0.113.0/24', 'true', POLICY_VARIABLE_VALUE);
const conditions = fc.dictionary(
  fc.constantFrom('StringEquals', 'StringLike', 'ForAnyValue:StringEquals', 'IpAddress', 'Bool'),
  fc.dictionary(
    fc.constantFrom('aws:RequestedRegion', 'aws:SourceIp', 's3:prefix', 'aws:SecureTransport'),
    fc.oneof(conditionValue, fc.uniqueArray(conditionValue, { minLength: 1, maxLength: 3 })),
    { minKeys: 1, maxKeys: 3 }
  ),
  { minKeys: 1, maxKeys: 3 }
);
const validRequest = fc.record(
  {
    role: fc.constantFrom('prod-read', 'prod-admin', 'staging-deploy'),
    scope: fc.record(
      {
        actions: fc.array(action, { minLength: 1, maxLength: 5 }),
        resources: fc.array(resource, { minLength: 1, maxLength: 5 }),
        conditions,
      },
      { requiredKeys: ['actions', 'resources'] }
    ),
    durationSeconds: fc.integer({ min: -10, max: 100_000 }),
    reason,
    ticket: fc.constantFrom('INC-1234', 'OPS-7', 'JIRA/ABC-9'),
    breakGlass: fc.boolean(),
  },
  { requiredKeys: ['role', 'scope', 'durationSeconds', 'reason'] }
);

// ---- hostile material ------------------------------------------------------------------------

const hostileText = fc.constantFrom(
  '\ud800',
  '\udfff',
  '\u001b[2J\u001b[HAPPROVED by security',
  '\u0000',
  '\u009b31m',
  '\u202e',
  '\u2066',
  '\u007f'
);
/** Any JSON-shaped value, with the odd reserved key and hostile string in it. */
const anyJson = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.jsonValue({ maxDepth: 2 }),
    hostileText,
    fc.dictionary(
      fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'role', 'scope', 'reason')),
      tie('value'),
      { maxKeys: 4 }
    ),
    fc.array(tie('value'), { maxLength: 4 })
  ),
})).value;

describe('the request schema (property)', () => {
  it('accepts every well-formed request and gives it back as sent', () => {
    fc.assert(
      fc.property(validRequest, (request) => {
        fc.pre(request.durationSeconds >= 0);
        const result = outcome(JSON.stringify(request), CREATE);
        expect(result.refused?.body).toBeUndefined();
        expect(result.accepted).toEqual(request);
        // …and what it gave back is accepted again, unchanged.
        expect(outcome(JSON.stringify(result.accepted), CREATE).accepted).toEqual(request);
      }),
      seeded(300)
    );
  });

  it.each(RULES)('%s: any JSON body is either accepted or refused with a proper 4xx', (_route, rule) => {
    fc.assert(
      fc.property(anyJson, (value) => {
        const result = outcome(JSON.stringify(value), rule);
        if (result.refused) expectProperRefusal(result.refused);
      }),
      seeded(250)
    );
  });

  it.each(RULES)('%s: any text as a body is refused with a proper 4xx or accepted as JSON', (_route, rule) => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 200 }),
        fc.constantFrom('application/json', 'text/plain'),
        (text, type) => {
          const result = outcome(text, rule, type);
          if (result.refused) expectProperRefusal(result.refused);
        }
      ),
      seeded(250)
    );
  });

  it('a valid request with one field replaced by anything is accepted or properly refused', () => {
    const field = fc.constantFrom(
      'role',
      'scope',
      'durationSeconds',
      'reason',
      'ticket',
      'breakGlass',
      'scope.actions',
      'scope.resources',
      'scope.conditions',
      'extra'
    );
    fc.assert(
      fc.property(validRequest, field, anyJson, (request, path, value) => {
        const [head, tail] = path.split('.') as [string, string?];
        const changed =
          tail === undefined
            ? { ...request, [head]: value }
            : { ...request, scope: { ...request.scope, [tail]: value } };
        const result = outcome(JSON.stringify(changed), CREATE);
        if (result.refused) expectProperRefusal(result.refused);
        else expect(outcome(JSON.stringify(result.accepted), CREATE).accepted).toEqual(result.accepted);
      }),
      seeded(400)
    );
  });

  it('a hostile character anywhere in any string of a valid request is refused', () => {
    fc.assert(
      fc.property(validRequest, hostileText, fc.nat(), (request, bad, pick) => {
        const text = JSON.stringify(request);
        // Put it inside one of the body's strings (keys included): right after an opening quote.
        const quotes = [...text.matchAll(/"/g)].map((m) => m.index).filter((_, i) => i % 2 === 0);
        const at = (quotes[pick % quotes.length] as number) + 1;
        const escaped = JSON.stringify(bad).slice(1, -1);
        const result = outcome(text.slice(0, at) + escaped + text.slice(at), CREATE);
        expect(result.accepted).toBeUndefined();
        expectProperRefusal(result.refused as NonNullable<typeof result.refused>);
      }),
      seeded(300)
    );
  });

  it('a key repeated at any depth is refused with DUPLICATE_KEY, whatever the values', () => {
    fc.assert(
      fc.property(validRequest, fc.nat(), (request, pick) => {
        const text = JSON.stringify(request);
        // Repeat one member: `"key":value` → `"key":value,"key":value` inside the same object.
        const members = [...text.matchAll(/"([A-Za-z:]+)":("[^"]*"|\d+|true|false)/g)];
        fc.pre(members.length > 0);
        const member = members[pick % members.length] as RegExpMatchArray;
        const end = (member.index as number) + member[0].length;
        const result = outcome(`${text.slice(0, end)},${member[0]}${text.slice(end)}`, CREATE);
        expect(result.refused?.body.error.code).toBe('DUPLICATE_KEY');
      }),
      seeded(300)
    );
  });

  it('free text counts only what a reader sees towards its minimum', () => {
    const invisible = fc.constantFrom('\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u00ad', '\u3164', ' ');
    fc.assert(
      fc.property(
        validRequest,
        fc.array(invisible, { maxLength: 60 }),
        fc.string({ maxLength: 9, unit: 'grapheme-ascii' }),
        (request, padding, shown) => {
          fc.pre(shown.trim() === shown);
          const mixed = padding.map((p, i) => (i === 3 ? `${shown}${p}` : p)).join('') || shown;
          const result = outcome(JSON.stringify({ ...request, reason: mixed }), CREATE);
          expect(result.refused?.body.error.code).toBe('INVALID_REQUEST');
        }
      ),
      seeded(300)
    );
  });
});
