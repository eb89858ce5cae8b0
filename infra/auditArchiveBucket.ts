import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectLockRetention } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';

/** How long and how strictly archived audit events are locked. */
interface AuditRetention {
  /**
   * `governance` (default): nobody deletes or overwrites a locked version, except principals given
   * s3:BypassGovernanceRetention. `compliance`: nobody at all, not even the account root, until
   * the retention ends — choose it when a regulator asks, it cannot be undone.
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
  return new Bucket(scope, id, {
    objectLockEnabled: true,
    objectLockDefaultRetention:
      retention.mode === 'compliance' ? ObjectLockRetention.compliance(days) : ObjectLockRetention.governance(days),
    versioned: true,
    encryption: BucketEncryption.S3_MANAGED,
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    // Locked objects cannot be deleted anyway; the bucket outlives the stack like the table does.
    removalPolicy: RemovalPolicy.RETAIN,
  });
};

export type { AuditRetention };
export { auditArchiveBucket };
