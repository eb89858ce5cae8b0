import type { BrokerConfig } from '../../config/brokerConfig.js';
import type {
  AuditArchiveReader,
  ChainSigner,
  Clock,
  ExpiryScheduler,
  OrgKillPolicy,
  RolePolicies,
} from '../../ports.js';
import { type BrokerPorts, groupDirectory, noArchive } from '../brokerDeps.js';
import { lazyPort, once } from './lazy.js';

/**
 * The ports on AWS, for a Lambda function. Each AWS SDK client is created on first use, and each
 * adapter — with the SDK package behind it — is imported on the first call of its port
 * (lazy.ts): the SDK is the runtime's (external to the bundle) and loading one client package
 * from it costs more than the rest of a bundle's init, so a function loads none of it at init,
 * and at run time only the clients its invocation uses.
 *
 * Environment (set by infra/statelessStack.ts):
 * - `TABLE_NAME`, `SCHEDULE_GROUP`: every function.
 * - `EXPIRY_FUNCTION_ARN`, `SCHEDULER_ROLE_ARN`, `EXPIRY_DLQ_ARN`: only where expiries are scheduled
 *   (approveGrant, and createGrant for policy approvals); elsewhere the expiry port can only cancel.
 * - `BROKER_ACCOUNT_ID`, `SESSION_KILLER_ROLE_NAME`: only where sessions are killed (the ending
 *   functions); elsewhere the role-policies port refuses every call.
 * - `ORG_KILL_POLICY_ID`, `ORG_KILLER_ROLE_ARN` (optional `ORG_KILL_REGION`, default us-east-1, where
 *   the Organizations endpoint is): only on the ending functions, and only when the organization-wide
 *   kill is on (infra/orgKill.ts); without them that kill mode is off.
 * - `CHAIN_SIGNING_KEY_ARN`: only the functions that sign or check chain signatures (infra's
 *   `signChain`/`verifyChain`: those that append events may sign, the others only read its public key);
 *   `CHAIN_TRUSTED_KEY_ARNS`, optional: retired keys old chains carry.
 * - `AUDIT_ARCHIVE_BUCKET`: only where the archive is read (getGrantAudit's `?compare=archive`).
 */
type AwsPorts = Omit<BrokerPorts, 'policy' | 'actions' | 'workloadTokens' | 'chainSigner'>;

/** What builds the audit chain's KMS signer (modules.ts): only the bundles that sign bring it. */
type KmsChainSigning = () => Promise<{
  kmsChainSigner: (options: { keyArn: string; trustedKeyArns: readonly string[] }) => ChainSigner;
}>;

const required = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`environment variable ${name} is not set`);
  return value;
};

const dynamoClient = once(async () => new (await import('@aws-sdk/client-dynamodb')).DynamoDBClient({}));
const stsClient = once(async () => new (await import('@aws-sdk/client-sts')).STSClient({}));
const schedulerClient = once(async () => new (await import('@aws-sdk/client-scheduler')).SchedulerClient({}));

/**
 * Expiry schedules on EventBridge Scheduler. Only the function that approves needs to create them
 * (and is given the target's ARNs and iam:PassRole); the ending functions only delete them.
 */
const expiryScheduler = (): ExpiryScheduler => {
  const groupName = required('SCHEDULE_GROUP');
  const functionArn = process.env.EXPIRY_FUNCTION_ARN;
  const roleArn = process.env.SCHEDULER_ROLE_ARN;
  const deadLetterArn = process.env.EXPIRY_DLQ_ARN;
  const schedules = functionArn && roleArn && deadLetterArn;
  const scheduler = lazyPort(
    async () =>
      new (await import('../../adapters/aws/schedulerExpiry.js')).SchedulerExpiry(
        await schedulerClient(),
        schedules
          ? { groupName, functionArn, roleArn, deadLetterArn }
          : { groupName, functionArn: '', roleArn: '', deadLetterArn: '' }
      )
  );
  if (schedules) return scheduler;
  return {
    schedule: async () => {
      throw new Error(
        'this function cannot schedule expiries: EXPIRY_FUNCTION_ARN, SCHEDULER_ROLE_ARN or EXPIRY_DLQ_ARN is not set'
      );
    },
    cancel: (grantId) => scheduler.cancel(grantId),
  };
};

/**
 * The kill policy's IAM calls: in the broker's account with the function's own credentials, in a
 * workload account through that account's session killer role. Only the ending functions kill (and
 * are given the variables and the IAM permissions); the others get a port that says so.
 */
const rolePolicies = (): RolePolicies => {
  const brokerAccountId = process.env.BROKER_ACCOUNT_ID;
  const killerRoleName = process.env.SESSION_KILLER_ROLE_NAME;
  if (brokerAccountId && killerRoleName) {
    return lazyPort(async () => {
      const [{ IAMClient }, { CrossAccountRolePolicies }] = await Promise.all([
        import('@aws-sdk/client-iam'),
        import('../../adapters/aws/crossAccountRolePolicies.js'),
      ]);
      return new CrossAccountRolePolicies({
        brokerAccountId,
        iam: new IAMClient({}),
        sts: await stsClient(),
        killerRoleName,
      });
    });
  }
  const refuse = async (): Promise<never> => {
    throw new Error('this function cannot kill sessions: BROKER_ACCOUNT_ID or SESSION_KILLER_ROLE_NAME is not set');
  };
  return { list: refuse, put: refuse, delete: refuse };
};

/**
 * The organization's kill SCP, written through the org killer role in the management account (or
 * a delegated administrator), when the organization-wide kill is configured.
 */
const orgKillPolicy = (): { orgKill?: OrgKillPolicy } => {
  const policyId = process.env.ORG_KILL_POLICY_ID;
  if (!policyId) return {};
  const roleArn = required('ORG_KILLER_ROLE_ARN');
  const orgKill = lazyPort(async () => {
    const [
      { OrganizationsClient },
      { fromTemporaryCredentials },
      { ORG_KILLER_SESSION_NAME, OrganizationsKillPolicy },
    ] = await Promise.all([
      import('@aws-sdk/client-organizations'),
      import('@aws-sdk/credential-providers'),
      import('../../adapters/aws/organizationsKillPolicy.js'),
    ]);
    const client = new OrganizationsClient({
      region: process.env.ORG_KILL_REGION || 'us-east-1',
      credentials: fromTemporaryCredentials({ params: { RoleArn: roleArn, RoleSessionName: ORG_KILLER_SESSION_NAME } }),
    });
    return new OrganizationsKillPolicy(client, policyId);
  });
  return { orgKill };
};

/**
 * The audit chain's KMS key: the adapter and the KMS client are loaded on the first signature to
 * make or check (a function that appends signs each event; every one that reads a chain verifies).
 */
const kmsChainSigner = (load: KmsChainSigning): ChainSigner => {
  const keyArn = required('CHAIN_SIGNING_KEY_ARN');
  const trustedKeyArns = (process.env.CHAIN_TRUSTED_KEY_ARNS ?? '').split(',').filter((arn) => arn !== '');
  return lazyPort(async () => (await load()).kmsChainSigner({ keyArn, trustedKeyArns }));
};

/** The Object Lock archive, where this function may read it (only getGrantAudit is given the bucket). */
const archiveReader = (): AuditArchiveReader => {
  const bucket = process.env.AUDIT_ARCHIVE_BUCKET;
  if (!bucket) return noArchive;
  return lazyPort(async () => {
    const [{ S3Client }, { s3AuditArchiveReader }] = await Promise.all([
      import('@aws-sdk/client-s3'),
      import('../../adapters/aws/s3AuditArchive.js'),
    ]);
    return s3AuditArchiveReader(new S3Client({}), bucket);
  });
};

const awsPorts = (config: BrokerConfig, clock: Clock): AwsPorts => {
  const tableName = required('TABLE_NAME');
  return {
    store: lazyPort(
      async () =>
        new (await import('../../adapters/aws/dynamoGrantStore.js')).DynamoGrantStore(await dynamoClient(), tableName)
    ),
    killLeases: lazyPort(
      async () =>
        new (await import('../../adapters/aws/dynamoKillLeases.js')).DynamoKillLeases(await dynamoClient(), tableName)
    ),
    replayGuard: lazyPort(
      async () =>
        new (await import('../../adapters/aws/dynamoReplayGuard.js')).DynamoReplayGuard(
          await dynamoClient(),
          tableName,
          clock
        )
    ),
    activity: lazyPort(
      async () =>
        new (await import('../../adapters/aws/dynamoActivityStore.js')).DynamoActivityStore(
          await dynamoClient(),
          tableName
        )
    ),
    denials: lazyPort(
      async () =>
        new (await import('../../adapters/aws/dynamoDenialLog.js')).DynamoDenialLog(await dynamoClient(), tableName)
    ),
    grantedRoles: lazyPort(
      async () =>
        new (await import('../../adapters/aws/dynamoGrantedRoles.js')).DynamoGrantedRoles(
          await dynamoClient(),
          tableName
        )
    ),
    credentials: lazyPort(
      async () => new (await import('../../adapters/aws/stsCredentialIssuer.js')).StsCredentialIssuer(await stsClient())
    ),
    rolePolicies: rolePolicies(),
    ...orgKillPolicy(),
    expiry: expiryScheduler(),
    // Only getGrantAudit may call LookupEvents (infra/functionAccess.ts).
    activityLookup: lazyPort(async () => {
      const [{ CloudTrailClient }, { CloudTrailActivityLookup }] = await Promise.all([
        import('@aws-sdk/client-cloudtrail'),
        import('../../adapters/aws/cloudTrailActivityLookup.js'),
      ]);
      return new CloudTrailActivityLookup(new CloudTrailClient({}));
    }),
    archive: archiveReader(),
    directory: groupDirectory(config, (source) =>
      lazyPort(async () => {
        const [{ IdentitystoreClient }, { IdentityStoreGroupDirectory }] = await Promise.all([
          import('@aws-sdk/client-identitystore'),
          import('../../adapters/aws/identityStoreGroupDirectory.js'),
        ]);
        return new IdentityStoreGroupDirectory(new IdentitystoreClient({ region: source.region }), source);
      })
    ),
  };
};

export type { AwsPorts, KmsChainSigning };
export { awsPorts, kmsChainSigner };
