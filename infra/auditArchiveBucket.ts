import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AnyPrincipal, Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectLockRetention } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';

/** How long and how strictly archived audit events are locked. */
interface AuditRetention {
  /**
   * `compliance` (default): nobody deletes or overwrites a locked version, not even the account
   * root, until its retention ends — the archive is what `jit audit --archive` trusts when the table
   * was rewritten, so an administrator must not be able to rewrite it too. `governance`: principals
   * given s3:BypassGovernanceRetention can; choose it only for a trial deployment whose objects you
   * may need to delete (`-c auditRetentionMode=governance`).
   */
  readonly mode?: 'governance' | 'compliance';
  /** Default 365. */
  readonly days?: number;
}

/**
 * The audit archive: every audit event, one NDJSON object per event (grant id + seq), written by
 * the stream publisher. Object Lock with a default retention makes history durable beyond the
 * table: the hash chain shows tampering, the lock prevents it for the retention period.
 */
const auditArchiveBucket = (scope: Construct, id: string, retention: AuditRetention = {}): Bucket => {
  const days = Duration.days(retention.days ?? 365);
  const bucket = new Bucket(scope, id, {
    objectLockEnabled: true,
    objectLockDefaultRetention:
      retention.mode === 'governance' ? ObjectLockRetention.governance(days) : ObjectLockRetention.compliance(days),
    versioned: true,
    encryption: BucketEncryption.S3_MANAGED,
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    // Locked objects cannot be deleted anyway; the bucket outlives the stack like the table does.
    removalPolicy: RemovalPolicy.RETAIN,
  });
  for (const statement of refuseRewrites(bucket)) bucket.addToResourcePolicy(statement);
  return bucket;
};

/**
 * Object Lock keeps every locked version, but with versioning a second PutObject on a key still
 * succeeds: it adds a newer version that readers of the key get instead of the archived one. And a
 * DeleteObject without a version id adds a delete marker (allowed on locked objects), after which
 * the key reads as absent. So, for every principal:
 * - object creation (PutObject, CompleteMultipartUpload, CopyObject) without `If-None-Match` is
 *   refused: with it, S3 answers 412 when the key exists, so an archived event is written once
 *   (s3:if-none-match, https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes-enforce.html;
 *   multipart part uploads carry no conditional header and are left to `s3:ObjectCreationOperation`);
 * - delete markers are refused (s3:DeleteObject), so no archived key can be hidden.
 * An administrator who can change this policy can lift both; that change is in CloudTrail, and
 * compliance-mode retention still keeps every version (docs/operations.md).
 */
const refuseRewrites = (bucket: Bucket): PolicyStatement[] => [
  new PolicyStatement({
    sid: 'RefuseWritesThatMayReplaceAnArchivedObject',
    effect: Effect.DENY,
    principals: [new AnyPrincipal()],
    actions: ['s3:PutObject'],
    resources: [bucket.arnForObjects('*')],
    conditions: { Null: { 's3:if-none-match': 'true' }, Bool: { 's3:ObjectCreationOperation': 'true' } },
  }),
  new PolicyStatement({
    sid: 'RefuseDeleteMarkersOnArchivedObjects',
    effect: Effect.DENY,
    principals: [new AnyPrincipal()],
    actions: ['s3:DeleteObject'],
    resources: [bucket.arnForObjects('*')],
  }),
];

export type { AuditRetention };
export { auditArchiveBucket };
