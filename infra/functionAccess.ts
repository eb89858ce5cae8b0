import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { ARCHIVE_PREFIX } from '../functions/adapters/aws/s3AuditArchive.js';
import { INDEXES, PARTITIONS } from '../functions/adapters/aws/tableSchema.js';

/**
 * What each function may do, read off the use cases its handler calls (functions/app/*). The stack
 * turns each capability into IAM statements; nothing else is granted.
 *
 * Table writes are split by the item's partition (`dynamodb:LeadingKeys`, tableSchema.ts), so a
 * function can write only the kinds of item its use cases write:
 * - `read`: GetItem/Query on the table and its indexes (every grant read, list, audit, kill list).
 * - `write`: PutItem in grant partitions (`GRANT#…`): a grant and its next audit event, together.
 * - `recordKills`: Put/Update/DeleteItem in kill partitions (`ROLEKILL#…`, `KILLLEASE#…`): the kill
 *   record an end writes, its applied marks, its prune, and the renderer's lease; BatchGetItem of the
 *   grants whose kills a render applied. Only the ending functions.
 * - `consumeTokens`: PutItem in `JTI#…` (a CI token's id, once). Only the CI functions.
 * - `recordDenials`: PutItem in `DENIAL#…` (a request the policies refused).
 * - `recordGrantedRoles`: PutItem in `ROLESEEN#…` (a role that has had a grant, read by the reports).
 *   Only the functions that open grants.
 * - `recordActivity`: Put/UpdateItem in grant partitions (activity markers and counters of a grant).
 * - `signChain`: kms:Sign with the audit chain key — every function that appends events. The key's
 *   own policy allows Sign only to the broker's roles (infra/chainSigningKey.ts).
 * - `verifyChain`: kms:GetPublicKey of that key, to check signatures (before extending a chain,
 *   in the audit, in the reports, for kill records).
 * - `readArchive`: list and read the audit archive's objects (the audit's `?compare=archive`).
 * - `scheduleExpiry`: Create/UpdateSchedule in the group and iam:PassRole of the scheduler role.
 * - `cancelExpiry`: DeleteSchedule in the group.
 * - `assumeTargets`: sts:AssumeRole/TagSession/SetSourceIdentity on broker-managed target roles.
 * - `killSessions`: the kill policy's IAM calls on broker-managed target roles.
 * - `lookupActivity`: cloudtrail:LookupEvents (Event history by a grant's access key ids).
 */
type Capability =
  | 'read'
  | 'write'
  | 'recordKills'
  | 'consumeTokens'
  | 'recordDenials'
  | 'recordGrantedRoles'
  | 'recordActivity'
  | 'signChain'
  | 'verifyChain'
  | 'readArchive'
  | 'scheduleExpiry'
  | 'cancelExpiry'
  | 'assumeTargets'
  | 'killSessions'
  | 'lookupActivity';

/** Appending to a grant's chain: read it, check its head's signature, sign the new head, write both. */
const APPEND: readonly Capability[] = ['read', 'verifyChain', 'write', 'signChain'];

/** The ending path (finish, revoke, expiry, sweeper): settleEnd cancels the schedule and re-renders kills. */
const ENDING: readonly Capability[] = [...APPEND, 'recordKills', 'cancelExpiry', 'killSessions'];

const FUNCTION_ACCESS: Readonly<Record<string, readonly Capability[]>> = {
  // Answers a static document; touches nothing.
  health: [],
  // requestGrant: narrows the scope (iam-data, in the bundle), counts the requester's recent grants
  // for the policies, creates the grant (or records the policies' refusal) and — when a policy
  // auto-approves it or allows break-glass — approves it at once and schedules its expiry; with
  // `?credentials=true`, vends its first session alongside (an AssumeRole, like vendCredentials).
  // Alongside the grant's write, it notes the grant's role among the roles with grants (reports).
  createGrant: [...APPEND, 'recordDenials', 'recordGrantedRoles', 'scheduleExpiry', 'assumeTargets'],
  listGrants: ['read'],
  getGrant: ['read'],
  // auditGrant: the chain against its signatures, the kill record, recorded activity; with
  // ?lookup=cloudtrail, Event history by access key; with ?compare=archive, the archive.
  getGrantAudit: ['read', 'verifyChain', 'lookupActivity', 'readArchive'],
  // runReport: grants by role, their events (checked against their signatures) and activity, and the denials.
  getReport: ['read', 'verifyChain'],
  // recordActivity: reads the grant (for its end), writes the call's marker and counters; an anomaly
  // rule (config/anomaly.json) may revoke the grant or settle its end again: the ending path.
  recordActivity: [...ENDING, 'recordActivity'],
  // approveGrant: records the approval, then creates (or, for an extension, moves) the expiry schedule.
  approveGrant: [...APPEND, 'scheduleExpiry'],
  denyGrant: APPEND,
  // cancelGrant: only PENDING/APPROVED grants can be cancelled, so no credential to kill; it removes the schedule.
  cancelGrant: [...APPEND, 'cancelExpiry'],
  // vendCredentials: one AssumeRole and one transaction.
  vendCredentials: [...APPEND, 'assumeTargets'],
  finishGrant: ENDING,
  revokeGrant: ENDING,
  // extendGrant: records the request; approval (approveGrant) moves the schedule.
  extendGrant: APPEND,
  // reviewGrant: security closes a break-glass grant's after-the-fact review.
  reviewGrant: APPEND,
  // ciCredentials: verifies the token (JWKS over HTTPS), records its jti (a conditional Put), opens the
  // grant approved by policy with its expiry schedule (noting its role, as createGrant), and vends at once.
  ciCredentials: [...APPEND, 'consumeTokens', 'recordGrantedRoles', 'scheduleExpiry', 'assumeTargets'],
  // ciRevend: records the new token's jti, then the vend path.
  ciRevend: [...APPEND, 'consumeTokens', 'assumeTargets'],
  // ciDone: records the token's jti, then the ending path like finishGrant.
  ciDone: [...ENDING, 'consumeTokens'],
  expire: ENDING,
  sweep: ENDING,
};

/**
 * Item writes only in the partitions named: `ForAllValues` over `dynamodb:LeadingKeys` (the
 * partition key of every item the request touches; DynamoDB Developer Guide, "Using IAM policy
 * conditions for fine-grained access control", which asks for `ForAllValues` with this key).
 */
const inPartitions = (table: ITable, actions: readonly string[], partitions: readonly string[]) =>
  new PolicyStatement({
    actions: [...actions],
    resources: [table.tableArn],
    conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': partitions.map((p) => `${p}#*`) } },
  });

/** The IAM statements of one capability, or undefined for a capability that is not about the table, key or archive. */
const dataStatements = (
  capability: Capability,
  refs: { table: ITable; chainKey?: IKey; auditArchive?: IBucket }
): PolicyStatement[] | undefined => {
  const { table, chainKey, auditArchive } = refs;
  switch (capability) {
    case 'read':
      return [
        // GetItem reads only the table; Query the table and its indexes. Reads are not split by
        // partition: they change nothing, and the audit and the kill renderer read across kinds.
        new PolicyStatement({ actions: ['dynamodb:GetItem'], resources: [table.tableArn] }),
        new PolicyStatement({
          actions: ['dynamodb:Query'],
          resources: [table.tableArn, ...Object.keys(INDEXES).map((index) => `${table.tableArn}/index/${index}`)],
        }),
      ];
    case 'write':
      return [inPartitions(table, ['dynamodb:PutItem'], [PARTITIONS.grant])];
    case 'recordKills':
      return [
        inPartitions(
          table,
          ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
          [PARTITIONS.roleKill, PARTITIONS.killLease]
        ),
        // The grants a render's kills belong to, in one read (a read changes nothing: not split).
        new PolicyStatement({ actions: ['dynamodb:BatchGetItem'], resources: [table.tableArn] }),
      ];
    case 'consumeTokens':
      return [inPartitions(table, ['dynamodb:PutItem'], [PARTITIONS.usedToken])];
    case 'recordDenials':
      return [inPartitions(table, ['dynamodb:PutItem'], [PARTITIONS.denial])];
    case 'recordGrantedRoles':
      return [inPartitions(table, ['dynamodb:PutItem'], [PARTITIONS.grantedRole])];
    case 'recordActivity':
      return [inPartitions(table, ['dynamodb:PutItem', 'dynamodb:UpdateItem'], [PARTITIONS.grant])];
    case 'signChain':
      return chainKey === undefined
        ? []
        : [new PolicyStatement({ actions: ['kms:Sign'], resources: [chainKey.keyArn] })];
    case 'verifyChain':
      return chainKey === undefined
        ? []
        : [new PolicyStatement({ actions: ['kms:GetPublicKey'], resources: [chainKey.keyArn] })];
    case 'readArchive':
      return auditArchive === undefined
        ? []
        : [
            // One grant's versions at a time (audit/<grant id>/), and the versions themselves: never writes.
            new PolicyStatement({
              actions: ['s3:ListBucketVersions'],
              resources: [auditArchive.bucketArn],
              conditions: { StringLike: { 's3:prefix': `${ARCHIVE_PREFIX}*` } },
            }),
            new PolicyStatement({
              actions: ['s3:GetObjectVersion'],
              resources: [auditArchive.arnForObjects(`${ARCHIVE_PREFIX}*`)],
            }),
          ];
    default:
      return undefined;
  }
};

export type { Capability };
export { dataStatements, FUNCTION_ACCESS };
