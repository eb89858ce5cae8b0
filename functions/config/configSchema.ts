import * as z from 'zod/mini';
import { MIN_GRANT_SECONDS } from '../domain/grant.js';
import { hasCallerChosenName, identityCenterRole } from '../domain/identity.js';
import { duration } from './duration.js';
import {
  ACCOUNT_ID,
  GROUP_NAME,
  IAM_ACTION,
  PRINCIPAL_ENTRY,
  RESOURCE,
  ROLE_ARN,
  ROLE_ID,
  ROLE_UNIQUE_ID,
  USER_ID,
} from './patterns.js';
import './zodMessages.js';

/** Role chaining caps nothing here: grants may outlive one STS session and are re-vended. */
const MAX_GRANT_SECONDS = 12 * 3600;

const isTimeZone = (zone: string): boolean => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};

const principal = z.string().check(z.regex(PRINCIPAL_ENTRY, "must be a user id or 'group:<name>'"));
/** An attribute that is no longer read: any value is refused with what to do instead. */
const retired = (message: string) => z.optional(z.unknown().check(z.refine(() => false, message)));

const catalogRoleSchema = z.strictObject({
  id: z.string().check(z.regex(ROLE_ID, 'must be lowercase letters, digits and dashes (2-63)')),
  description: z.string().check(z.minLength(1, 'must describe the role for requesters'), z.maxLength(500)),
  roleArn: z.string().check(z.regex(ROLE_ARN, 'must be an IAM role ARN such as arn:aws:iam::111122223333:role/name')),
  maxDuration: duration(MIN_GRANT_SECONDS, MAX_GRANT_SECONDS),
  scopeCeiling: z.strictObject({
    actions: z
      .array(z.string().check(z.regex(IAM_ACTION, "must look like 'service:Action' (wildcards * and ? allowed)")))
      .check(z.minLength(1)),
    resources: z.array(z.string().check(z.regex(RESOURCE, "must be an ARN or '*'"))).check(z.minLength(1)),
  }),
  privileged: z.optional(z.boolean()),
  approval: retired(
    'approval rules moved to Cedar policies: put @approvers/@approvals/@pendingWindow on a permit in policies/*.cedar (docs/policy.md)'
  ),
});

const catalogFileSchema = z.strictObject({
  schemaVersion: z.literal(1, 'this broker reads catalog schemaVersion 1'),
  version: z
    .string()
    .check(z.minLength(1, 'give the catalog a version (for example a date or a commit)'), z.maxLength(64)),
  security: z._default(z.array(principal), []),
  roles: z.array(catalogRoleSchema).check(z.minLength(1, 'the catalog must offer at least one role')),
  policy: z._default(
    z.strictObject({
      timeZone: z._default(
        z.string().check(z.refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin or UTC')),
        'UTC'
      ),
      elevationWindowDays: z._default(z.number().check(z.int(), z.gte(1), z.lte(365)), 30),
    }),
    { timeZone: 'UTC', elevationWindowDays: 30 }
  ),
});

const groupsFileSchema = z.strictObject({
  schemaVersion: z.literal(1, 'this broker reads groups schemaVersion 1'),
  groups: z.record(
    z.string().check(z.regex(GROUP_NAME, 'group names are letters, digits, _ . -')),
    z.array(z.string().check(z.regex(USER_ID, 'must be a user id')))
  ),
});

const accountIds = z
  .array(z.string().check(z.regex(ACCOUNT_ID, 'must be a 12-digit account id')))
  .check(z.minLength(1));
const IDENTITY_CENTER_ROLE_ARN =
  'must be the ARN of a permission-set role, arn:aws:iam::<account>:role/aws-reserved/sso.amazonaws.com/[<region>/]AWSReservedSSO_<set>_<16 hex> (aws iam list-roles --path-prefix /aws-reserved/sso.amazonaws.com/)';
const identityCenterSource = z.strictObject({
  type: z.literal('identity-center'),
  roles: z
    .array(
      z.strictObject({
        arn: z.string().check(z.refine((arn) => identityCenterRole(arn) !== undefined, IDENTITY_CENTER_ROLE_ARN)),
        roleId: z
          .string()
          .check(z.regex(ROLE_UNIQUE_ID, "must be the role's id (RoleId, AROA…) from aws iam get-role")),
      }),
      'list the permission-set roles to trust: roles: [{ "arn", "roleId" }] (docs/identity.md)'
    )
    .check(z.minLength(1, 'pin at least one permission-set role (docs/identity.md)')),
  accountIds: retired(
    'identity-center no longer trusts whole accounts by role name: pin each permission-set role with roles: [{ "arn", "roleId" }] (docs/identity.md)'
  ),
});
const principalSource = z
  .strictObject({
    type: z.literal('principal'),
    arn: z.string().check(z.regex(/^arn:aws[\w-]*:(?:iam|sts)::\d{12}:\S+$/, 'must be an IAM or STS principal ARN')),
    userId: z.string().check(z.regex(USER_ID, 'must be a user id')),
    uniqueId: z.optional(
      z
        .string()
        .check(
          z.regex(
            /^A[A-Z0-9]{15,127}(?::[\w+=,.@-]{2,64})?$/,
            'must be the aws:userid of the principal (AIDA…, or AROA…:<session>)'
          )
        )
    ),
    acceptCallerChosenSessionName: z.optional(z.boolean()),
  })
  .check(
    z.refine((source) => !hasCallerChosenName(source.arn) || source.acceptCallerChosenSessionName === true, {
      message:
        'the last part of this ARN is a session name its caller chooses: anyone who may assume the role could claim it. ' +
        'Use an identity-center role or an IAM user, or say "acceptCallerChosenSessionName": true',
      path: ['arn'],
    })
  );

/** Where group membership comes from; groups.json unless the identity store is named. */
const groupsSource = z.discriminatedUnion('source', [
  z.strictObject({ source: z.literal('groups-file') }),
  z.strictObject({
    source: z.literal('identity-store'),
    identityStoreId: z
      .string()
      .check(
        z.regex(
          /^(?:d-[0-9a-f]{10}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/,
          'must be an identity store id such as d-1234567890 (IAM Identity Center → Settings)'
        )
      ),
    region: z
      .string()
      .check(
        z.regex(/^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/, "must be the Identity Center instance's Region, e.g. eu-west-1")
      ),
    cacheSeconds: z._default(z.number().check(z.int(), z.gte(0), z.lte(900)), 60),
    cacheEntries: z._default(z.number().check(z.int(), z.gte(1), z.lte(100_000)), 1000),
  }),
]);

const identitySourcesFileSchema = z.strictObject({
  schemaVersion: z.literal(1, 'this broker reads identity-sources schemaVersion 1'),
  sources: z.array(
    z.discriminatedUnion('type', [
      identityCenterSource,
      z.strictObject({ type: z.literal('iam-user'), accountIds }),
      principalSource,
    ])
  ),
  groups: z._default(groupsSource, { source: 'groups-file' }),
});

export { catalogFileSchema, groupsFileSchema, identitySourcesFileSchema, MAX_GRANT_SECONDS };
