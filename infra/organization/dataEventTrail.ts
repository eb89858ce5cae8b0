import { Aws, Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { CfnTrail } from 'aws-cdk-lib/aws-cloudtrail';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { accountAgnostic } from './accountAgnostic.js';
import { inThisAccount, type WorkloadRole } from './workloadRoles.js';

const TRAIL_NAME = 'jit-broker-grant-data-events';

/** The data-event resource types the catalog's ceilings can reach, by the service prefix of their actions. */
const DATA_EVENT_TYPES = [
  { service: 's3', type: 'AWS::S3::Object', arn: /^arn:aws[\w-]*:s3:::/ },
  { service: 'dynamodb', type: 'AWS::DynamoDB::Table', arn: /^arn:aws[\w-]*:dynamodb:/ },
] as const;

type FieldSelector = CfnTrail.AdvancedFieldSelectorProperty;

/** The literal start of an ARN pattern, up to its first wildcard: what `StartsWith` can match. */
const literalPrefix = (pattern: string): string => pattern.split(/[*?]/)[0] as string;

/**
 * One advanced event selector per workload role and data-event type its ceiling reaches: data
 * events of that type, made by that role's sessions (`userIdentity.arn` starts with its
 * assumed-role ARN), on the resources its ceiling names (`resources.ARN` starts with their literal
 * prefix; no ARN filter when the ceiling has `*` or a resource starting with a wildcard). So the
 * trail records — and bills — only calls grant sessions make, never the account's own traffic.
 */
const dataEventSelectors = (roles: readonly WorkloadRole[]): CfnTrail.AdvancedEventSelectorProperty[] => {
  const selectors: CfnTrail.AdvancedEventSelectorProperty[] = [];
  for (const role of roles) {
    for (const { service, type, arn } of DATA_EVENT_TYPES) {
      const reaches = role.actions.some((a) => a === '*' || a.toLowerCase().startsWith(`${service}:`));
      if (!reaches) continue;
      const named = role.resources.filter((r) => r === '*' || arn.test(r));
      if (named.length === 0) continue;
      const prefixes = [...new Set(named.map(literalPrefix))];
      const anyResource = prefixes.some((p) => p === '' || !arn.test(p));
      const fields: FieldSelector[] = [
        { field: 'eventCategory', equalTo: ['Data'] },
        { field: 'resources.type', equalTo: [type] },
        {
          field: 'userIdentity.arn',
          startsWith: [Fn.join('', ['arn:', Aws.PARTITION, ':sts::', Aws.ACCOUNT_ID, `:assumed-role/${role.name}/`])],
        },
        ...(anyResource ? [] : [{ field: 'resources.ARN', startsWith: prefixes.map(inThisAccount) }]),
      ];
      selectors.push({ name: `${role.name} ${type}`.slice(0, 1000), fieldSelectors: fields });
    }
  }
  return selectors;
};

interface JitDataEventTrailStackProps {
  /** The target roles whose sessions' data events are recorded (workloadRoles(config), or a selection). */
  readonly roles: readonly WorkloadRole[];
  /** Days the bucket keeps log files; default 90. */
  readonly logRetentionDays?: number;
}

/**
 * Optional, per workload account: a multi-Region CloudTrail trail that records only the data
 * events (S3 object reads and writes, DynamoDB item reads and writes) of the catalog's target-role
 * sessions on the resources their ceilings name — what the management-event stream cannot show
 * (an S3 GetObject, a DynamoDB Query). Data events reach EventBridge only when a trail logs them;
 * from there the forwarding rule sends them to the broker like any other call.
 *
 * The trail logs no management events (no second copy to pay for), to its own encrypted bucket
 * with log file validation; log files expire after `logRetentionDays` (default 90).
 * Cost: CloudTrail charges $0.10 per 100,000 data events delivered (docs/deploy.md).
 */
class JitDataEventTrailStack extends Stack {
  readonly bucket: Bucket;

  constructor(scope: Construct, id: string, props: JitDataEventTrailStackProps) {
    super(
      scope,
      id,
      accountAgnostic(id, "jit-broker: data events of grant sessions on the catalog's resources (StackSet template)")
    );
    const selectors = dataEventSelectors(props.roles);
    if (selectors.length === 0) {
      throw new Error('no target role reaches S3 objects or DynamoDB tables: a data-event trail would record nothing');
    }
    const retentionDays = props.logRetentionDays ?? 90;
    const bucket = new Bucket(this, 'DataEventLogs', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      lifecycleRules: [{ expiration: Duration.days(retentionDays), noncurrentVersionExpiration: Duration.days(1) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.bucket = bucket;
    const trailArn = this.formatArn({ service: 'cloudtrail', resource: 'trail', resourceName: TRAIL_NAME });
    const cloudTrail = new ServicePrincipal('cloudtrail.amazonaws.com');
    const fromThisTrail = { StringEquals: { 'aws:SourceArn': trailArn } };
    bucket.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudTrailAclCheck',
        principals: [cloudTrail],
        actions: ['s3:GetBucketAcl'],
        resources: [bucket.bucketArn],
        conditions: fromThisTrail,
      })
    );
    bucket.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudTrailWrite',
        principals: [cloudTrail],
        actions: ['s3:PutObject'],
        resources: [bucket.arnForObjects(`AWSLogs/${Aws.ACCOUNT_ID}/*`)],
        conditions: fromThisTrail,
      })
    );
    const trail = new CfnTrail(this, 'Trail', {
      trailName: TRAIL_NAME,
      isLogging: true,
      s3BucketName: bucket.bucketName,
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      enableLogFileValidation: true,
      advancedEventSelectors: selectors,
    });
    // The bucket policy must exist before CloudTrail checks it.
    if (bucket.policy) trail.node.addDependency(bucket.policy);
  }
}

export { dataEventSelectors, JitDataEventTrailStack, TRAIL_NAME };
