import { z } from 'zod';
import { IAM_ACTION, RESOURCE, ROLE_ID, TICKET } from '../config/patterns.js';

/** The API's request shapes. Unknown fields are errors: a typo must not silently widen a request. */
const MAX_SCOPE_ENTRIES = 50;

/** Condition operators a task may add. They can only narrow: every one is ANDed with the grant. */
const CONDITION_OPERATORS = [
  'StringEquals',
  'StringLike',
  'StringEqualsIgnoreCase',
  'ArnEquals',
  'ArnLike',
  'IpAddress',
  'Bool',
  'DateLessThan',
  'DateGreaterThan',
  'NumericLessThan',
  'NumericLessThanEquals',
] as const;
const CONDITION_KEY = /^[a-z0-9-]{1,32}:[A-Za-z0-9/_.:-]{1,128}$/;

const createGrantBody = z.strictObject({
  role: z.string().regex(ROLE_ID, 'must be a role id from the catalog'),
  scope: z.strictObject({
    actions: z
      .array(z.string().regex(IAM_ACTION, "must look like 'service:Action', e.g. s3:GetObject"))
      .min(1, 'name at least one action')
      .max(MAX_SCOPE_ENTRIES, `at most ${MAX_SCOPE_ENTRIES} actions`),
    resources: z
      .array(z.string().regex(RESOURCE, "must be an ARN (arn:aws:…) or '*'"))
      .min(1, 'name at least one resource')
      .max(MAX_SCOPE_ENTRIES, `at most ${MAX_SCOPE_ENTRIES} resources`),
    conditions: z
      .partialRecord(
        z.enum(CONDITION_OPERATORS, `operators: ${CONDITION_OPERATORS.join(', ')}`),
        z.record(
          z.string().regex(CONDITION_KEY, "condition keys look like 'aws:RequestedRegion' or 's3:prefix'"),
          z.union([z.string().max(256), z.array(z.string().max(256)).min(1).max(20)])
        )
      )
      .optional(),
  }),
  durationSeconds: z.number('must be a number of seconds').int('must be a whole number of seconds'),
  reason: z
    .string('say why you need this access')
    .trim()
    .min(10, 'say why you need this access, in at least 10 characters')
    .max(1000, 'at most 1000 characters'),
  ticket: z.string().regex(TICKET, 'must be a ticket reference such as INC-1234').optional(),
  breakGlass: z.boolean('must be true or false').optional(),
});

const comment = z.string().trim().min(1).max(1000, 'at most 1000 characters');
const optionalCommentBody = z.strictObject({ comment: comment.optional() });
const requiredCommentBody = z.strictObject({ comment: comment.describe('why') });
const revokeBody = z.strictObject({ reason: z.string('say why the access is revoked').trim().min(1).max(1000) });
const emptyBody = z.strictObject({});
const extendBody = z.strictObject({
  durationSeconds: z.number('must be a number of seconds').int('must be a whole number of seconds'),
  reason: z
    .string('say why you need more time')
    .trim()
    .min(10, 'say why you need more time, in at least 10 characters')
    .max(1000),
});

/** A CI job's deploy: which template, its inputs (checked against the template's patterns later), how long. */
const ciCredentialsBody = z.strictObject({
  template: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'must be a template id from ci.json'),
  role: z.string().regex(ROLE_ID, 'must be a role id from the catalog').optional(),
  inputs: z
    .record(
      z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'input names are letters, digits and _'),
      z.string().max(128)
    )
    .refine((inputs) => Object.keys(inputs).length <= 20, 'at most 20 inputs')
    .default({}),
  durationSeconds: z.number('must be a number of seconds').int('must be a whole number of seconds').optional(),
});

const grantIdParam = /^g-[0-9a-hjkmnp-tv-z]{26}$/;

const listGrantsQuery = z.strictObject({
  inbox: z.enum(['', 'true'], "use '?inbox' to list what you may approve").optional(),
  reviews: z.enum(['', 'true'], "use '?reviews' to list break-glass grants awaiting review").optional(),
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'must be a number from 1 to 100')
    .transform(Number)
    .refine((n) => n >= 1 && n <= 100, 'must be a number from 1 to 100')
    .optional(),
  cursor: z.string().max(2048).optional(),
});

export {
  ciCredentialsBody,
  createGrantBody,
  emptyBody,
  extendBody,
  grantIdParam,
  listGrantsQuery,
  optionalCommentBody,
  requiredCommentBody,
  revokeBody,
};
