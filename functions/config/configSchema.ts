import { z } from 'zod';
import { MIN_GRANT_SECONDS } from '../domain/grant.js';
import { duration } from './duration.js';
import {
  ACCOUNT_ID,
  GROUP_NAME,
  IAM_ACTION,
  PRINCIPAL_ENTRY,
  RESOURCE,
  ROLE_ARN,
  ROLE_ID,
  USER_ID,
} from './patterns.js';

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

const principal = z.string().regex(PRINCIPAL_ENTRY, "must be a user id or 'group:<name>'");

const catalogRoleSchema = z.strictObject({
  id: z.string().regex(ROLE_ID, 'must be lowercase letters, digits and dashes (2-63)'),
  description: z.string().min(1, 'must describe the role for requesters').max(500),
  roleArn: z.string().regex(ROLE_ARN, 'must be an IAM role ARN such as arn:aws:iam::111122223333:role/name'),
  maxDuration: duration(MIN_GRANT_SECONDS, MAX_GRANT_SECONDS),
  scopeCeiling: z.strictObject({
    actions: z
      .array(z.string().regex(IAM_ACTION, "must look like 'service:Action' (wildcards * and ? allowed)"))
      .min(1),
    resources: z.array(z.string().regex(RESOURCE, "must be an ARN or '*'")).min(1),
  }),
  privileged: z.boolean().optional(),
  approval: z
    .unknown()
    .refine(
      () => false,
      'approval rules moved to Cedar policies: put @approvers/@approvals/@pendingWindow on a permit in policies/*.cedar (docs/policy.md)'
    )
    .optional(),
});

const catalogFileSchema = z.strictObject({
  schemaVersion: z.literal(1, 'this broker reads catalog schemaVersion 1'),
  version: z.string().min(1, 'give the catalog a version (for example a date or a commit)').max(64),
  security: z.array(principal).default([]),
  roles: z.array(catalogRoleSchema).min(1, 'the catalog must offer at least one role'),
  policy: z
    .strictObject({
      timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin or UTC').default('UTC'),
      elevationWindowDays: z.number().int().min(1).max(365).default(30),
    })
    .default({ timeZone: 'UTC', elevationWindowDays: 30 }),
});

const groupsFileSchema = z.strictObject({
  schemaVersion: z.literal(1, 'this broker reads groups schemaVersion 1'),
  groups: z.record(
    z.string().regex(GROUP_NAME, 'group names are letters, digits, _ . -'),
    z.array(z.string().regex(USER_ID, 'must be a user id'))
  ),
});

const accountIds = z.array(z.string().regex(ACCOUNT_ID, 'must be a 12-digit account id')).min(1);
const identitySourcesFileSchema = z.strictObject({
  schemaVersion: z.literal(1, 'this broker reads identity-sources schemaVersion 1'),
  sources: z.array(
    z.discriminatedUnion('type', [
      z.strictObject({ type: z.literal('identity-center'), accountIds }),
      z.strictObject({ type: z.literal('iam-user'), accountIds }),
      z.strictObject({
        type: z.literal('principal'),
        arn: z.string().regex(/^arn:aws[\w-]*:(?:iam|sts)::\d{12}:\S+$/, 'must be an IAM or STS principal ARN'),
        userId: z.string().regex(USER_ID, 'must be a user id'),
      }),
    ])
  ),
});

export { catalogFileSchema, groupsFileSchema, identitySourcesFileSchema, MAX_GRANT_SECONDS };
