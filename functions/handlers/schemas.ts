import * as z from 'zod/mini';
import '../config/zodMessages.js';
import { GRANT_ID, IAM_ACTION, RESOURCE, ROLE_ID, TICKET } from '../config/patterns.js';
import { foldLineBreaks, visibleLength } from '../domain/untrustedText.js';

/**
 * The API's request shapes. Unknown fields are errors: a typo must not silently widen a request.
 * Before any of these run, the body was checked for duplicate and reserved keys and for characters
 * no field takes (http/strictJson.ts); what a condition means is checked by narrowScope.
 */
const MAX_SCOPE_ENTRIES = 50;
const MAX_CONDITION_ENTRIES = 10;
const MAX_TEXT_CHARS = 1000;

/** The shape of an IAM operator name; which ones exist, and their values, is domain/conditions.ts's call. */
const CONDITION_OPERATOR = /^(?:ForAnyValue:|ForAllValues:)?[A-Za-z]{1,40}$/;
const CONDITION_KEY = /^[a-z0-9-]{1,32}:[A-Za-z0-9/_.:-]{1,128}$/;
const CONDITION_VALUE = z.string().check(
  z.maxLength(256, 'at most 256 characters'),
  z.refine(
    (value) => value === value.trim() && !/[\t\n\r\u2028\u2029]/.test(value),
    'no line breaks, tabs, or spaces at either end'
  )
);

/** A whole number of seconds (its range is the use case's to check: it depends on the role). */
const wholeSeconds = () => z.number('must be a number of seconds').check(z.int('must be a whole number of seconds'));

/**
 * Free text a person reads later (a reason, a comment): kept on one line, trimmed, and at least
 * `min` characters a reader can actually see — zero-width and other invisible characters do not count.
 */
const freeText = (missing: string, min: number) =>
  z
    .pipe(
      z.string(missing).check(z.maxLength(MAX_TEXT_CHARS, `at most ${MAX_TEXT_CHARS} characters`)),
      z.transform((text: string) => foldLineBreaks(text).trim())
    )
    .check(
      z.refine(
        (text) => visibleLength(text) >= min,
        min === 1 ? missing : `${missing}, in at least ${min} visible characters`
      )
    );

const createGrantBody = z.strictObject({
  role: z.string().check(z.regex(ROLE_ID, 'must be a role id from the catalog')),
  scope: z.strictObject({
    actions: z
      .array(z.string().check(z.regex(IAM_ACTION, "must look like 'service:Action', e.g. s3:GetObject")))
      .check(
        z.minLength(1, 'name at least one action'),
        z.maxLength(MAX_SCOPE_ENTRIES, `at most ${MAX_SCOPE_ENTRIES} actions`)
      ),
    resources: z
      .array(z.string().check(z.regex(RESOURCE, "must be an ARN (arn:aws:…) or '*'")))
      .check(
        z.minLength(1, 'name at least one resource'),
        z.maxLength(MAX_SCOPE_ENTRIES, `at most ${MAX_SCOPE_ENTRIES} resources`)
      ),
    conditions: z.optional(
      z
        .record(
          z
            .string()
            .check(z.regex(CONDITION_OPERATOR, "operators look like 'StringEquals' or 'ForAnyValue:StringLike'")),
          z
            .record(
              z.string().check(z.regex(CONDITION_KEY, "condition keys look like 'aws:RequestedRegion' or 's3:prefix'")),
              z.union(
                [CONDITION_VALUE, z.array(CONDITION_VALUE).check(z.minLength(1), z.maxLength(20))],
                'a value or a list of 1 to 20 values'
              )
            )
            .check(
              z.refine(
                (keys) => Object.keys(keys).length <= MAX_CONDITION_ENTRIES,
                `at most ${MAX_CONDITION_ENTRIES} keys per operator`
              )
            )
        )
        .check(
          z.refine(
            (ops) => Object.keys(ops).length <= MAX_CONDITION_ENTRIES,
            `at most ${MAX_CONDITION_ENTRIES} operators`
          )
        )
    ),
  }),
  durationSeconds: wholeSeconds(),
  reason: freeText('say why you need this access', 10),
  ticket: z.optional(z.string().check(z.regex(TICKET, 'must be a ticket reference such as INC-1234'))),
  breakGlass: z.optional(z.boolean('must be true or false')),
});

const comment = freeText('write a comment', 1);
const optionalCommentBody = z.strictObject({ comment: z.optional(comment) });
const requiredCommentBody = z.strictObject({ comment });
const revokeBody = z.strictObject({ reason: freeText('say why the access is revoked', 1) });
const emptyBody = z.strictObject({});
const extendBody = z.strictObject({
  durationSeconds: wholeSeconds(),
  reason: freeText('say why you need more time', 10),
});

/** A CI job's deploy: which template, its inputs (checked against the template's patterns later), how long. */
const ciCredentialsBody = z.strictObject({
  template: z.string().check(z.regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'must be a template id from ci.json')),
  role: z.optional(z.string().check(z.regex(ROLE_ID, 'must be a role id from the catalog'))),
  inputs: z._default(
    z
      .record(
        z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'input names are letters, digits and _')),
        z.string().check(z.maxLength(128))
      )
      .check(z.refine((inputs) => Object.keys(inputs).length <= 20, 'at most 20 inputs')),
    {}
  ),
  durationSeconds: z.optional(wholeSeconds()),
});

const grantIdParam = GRANT_ID;

/** `POST /grants?credentials=true`: a request approved at once is answered with its first credentials. */
const createGrantQuery = z.strictObject({
  credentials: z.optional(
    z.enum(['true'], "use '?credentials=true' to be answered with credentials when the request is approved at once")
  ),
});

const listGrantsQuery = z.strictObject({
  inbox: z.optional(z.enum(['', 'true'], "use '?inbox' to list what you may approve")),
  reviews: z.optional(z.enum(['', 'true'], "use '?reviews' to list break-glass grants awaiting review")),
  limit: z.optional(
    z
      .pipe(z.string().check(z.regex(/^\d{1,3}$/, 'must be a number from 1 to 100')), z.transform(Number))
      .check(z.refine((n) => n >= 1 && n <= 100, 'must be a number from 1 to 100'))
  ),
  cursor: z.optional(z.string().check(z.maxLength(2048))),
});

export {
  ciCredentialsBody,
  createGrantBody,
  createGrantQuery,
  emptyBody,
  extendBody,
  grantIdParam,
  listGrantsQuery,
  optionalCommentBody,
  requiredCommentBody,
  revokeBody,
};
