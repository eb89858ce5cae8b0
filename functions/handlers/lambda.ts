import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IAMClient } from '@aws-sdk/client-iam';
import { KMSClient } from '@aws-sdk/client-kms';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { S3Client } from '@aws-sdk/client-s3';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { STSClient } from '@aws-sdk/client-sts';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { Context } from 'aws-lambda';
import { CloudTrailActivityLookup } from '../adapters/aws/cloudTrailActivityLookup.js';
import { CrossAccountRolePolicies } from '../adapters/aws/crossAccountRolePolicies.js';
import { KmsChainSigner } from '../adapters/aws/kmsChainSigner.js';
import { ORG_KILLER_SESSION_NAME, OrganizationsKillPolicy } from '../adapters/aws/organizationsKillPolicy.js';
import { s3AuditArchiveReader } from '../adapters/aws/s3AuditArchive.js';
import { SchedulerExpiry } from '../adapters/aws/schedulerExpiry.js';
import { StsCredentialIssuer } from '../adapters/aws/stsCredentialIssuer.js';
import { loggingAlerts } from '../adapters/loggingAlerts.js';
import { meteredAlerts } from '../adapters/meteredAlerts.js';
import { powertoolsLogger } from '../adapters/powertoolsLogger.js';
import { loadConfig } from '../config/loadConfig.js';
import type { ExpiryScheduler, OrgKillPolicy, RolePolicies } from '../ports.js';
import { activityHandler } from './activityHandler.js';
import type { AuditAnchors } from './composeBroker.js';
import { composeBroker } from './composeBroker.js';
import { iamAuthenticator } from './http/authenticators.js';
import type { HttpDeps, HttpHandler } from './http/httpRoute.js';
import type { HttpEvent } from './http/httpTypes.js';
import { ROUTES, type Route } from './routes.js';
import { expiryHandler, sweepHandler } from './scheduledHandlers.js';

/**
 * Lambda entry points, one per route plus the scheduled ones. Dependencies are composed once per
 * execution environment, on the first invocation; identity always comes from the IAM authorizer.
 *
 * Environment (set by infra/statelessStack.ts):
 * - `TABLE_NAME`, `SCHEDULE_GROUP`: every function.
 * - `EXPIRY_FUNCTION_ARN`, `SCHEDULER_ROLE_ARN`, `EXPIRY_DLQ_ARN`: only where expiries are scheduled
 *   (approveGrant, and createGrant for policy approvals); elsewhere the expiry port can only cancel.
 * - `BROKER_ACCOUNT_ID`, `SESSION_KILLER_ROLE_NAME`: only where sessions are killed (the ending
 *   functions); elsewhere the role-policies port refuses every call.
 * - `CHAIN_SIGNING_KEY_ARN`: every function (the audit chain's KMS key; only those that append
 *   events may sign with it); `CHAIN_TRUSTED_KEY_ARNS`, optional: retired keys old chains carry.
 * - `AUDIT_ARCHIVE_BUCKET`: where the archive is read (getGrantAudit's `?compare=archive`).
 * - `ORG_KILL_POLICY_ID`, `ORG_KILLER_ROLE_ARN` (optional `ORG_KILL_REGION`, default us-east-1, where
 *   the Organizations endpoint is): only on the ending functions, and only when the organization-wide
 *   kill is on (infra/orgKill.ts); without them that kill mode is off.
 * - `JIT_CONFIG_DIR`: the configuration shipped in the bundle (default `config`, relative to the cwd).
 * - `POWERTOOLS_SERVICE_NAME`, `POWERTOOLS_METRICS_NAMESPACE`, `POWERTOOLS_LOG_LEVEL`: Powertools.
 */
const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'jit-broker' });
const metrics = new Metrics({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'jit-broker',
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'JitBroker',
});

let deps: Promise<HttpDeps> | undefined;

const required = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`environment variable ${name} is not set`);
  return value;
};

/**
 * Expiry schedules on EventBridge Scheduler. Only the function that approves needs to create them
 * (and is given the target's ARNs and iam:PassRole); the ending functions only delete them.
 */
const expiryScheduler = (): ExpiryScheduler => {
  const groupName = required('SCHEDULE_GROUP');
  const functionArn = process.env.EXPIRY_FUNCTION_ARN;
  const roleArn = process.env.SCHEDULER_ROLE_ARN;
  const deadLetterArn = process.env.EXPIRY_DLQ_ARN;
  const client = new SchedulerClient({});
  if (functionArn && roleArn && deadLetterArn) {
    return new SchedulerExpiry(client, { groupName, functionArn, roleArn, deadLetterArn });
  }
  const cancelOnly = new SchedulerExpiry(client, { groupName, functionArn: '', roleArn: '', deadLetterArn: '' });
  return {
    schedule: async () => {
      throw new Error(
        'this function cannot schedule expiries: EXPIRY_FUNCTION_ARN, SCHEDULER_ROLE_ARN or EXPIRY_DLQ_ARN is not set'
      );
    },
    cancel: (grantId) => cancelOnly.cancel(grantId),
  };
};

/**
 * The kill policy's IAM calls: in the broker's account with the function's own credentials, in a
 * workload account through that account's session killer role. Only the ending functions kill (and
 * are given the variables and the IAM permissions); the others get a port that says so.
 */
const rolePolicies = (sts: STSClient): RolePolicies => {
  const brokerAccountId = process.env.BROKER_ACCOUNT_ID;
  const killerRoleName = process.env.SESSION_KILLER_ROLE_NAME;
  if (brokerAccountId && killerRoleName) {
    return new CrossAccountRolePolicies({ brokerAccountId, iam: new IAMClient({}), sts, killerRoleName });
  }
  const refuse = async (): Promise<never> => {
    throw new Error('this function cannot kill sessions: BROKER_ACCOUNT_ID or SESSION_KILLER_ROLE_NAME is not set');
  };
  return { list: refuse, put: refuse, delete: refuse };
};

/** The audit chain's KMS key, and the archive where this function may read it. */
const auditAnchors = (): AuditAnchors => {
  const bucket = process.env.AUDIT_ARCHIVE_BUCKET;
  const retired = (process.env.CHAIN_TRUSTED_KEY_ARNS ?? '').split(',').filter((arn) => arn !== '');
  return {
    signer: new KmsChainSigner(new KMSClient({}), {
      keyArn: required('CHAIN_SIGNING_KEY_ARN'),
      trustedKeyArns: retired,
    }),
    ...(bucket ? { archive: s3AuditArchiveReader(new S3Client({}), bucket) } : {}),
  };
};

/**
 * The organization's kill SCP, written through the org killer role in the management account (or
 * a delegated administrator), when the organization-wide kill is configured.
 */
const withOrgKill = (orgKill: OrgKillPolicy | undefined) => (orgKill === undefined ? {} : { orgKill });

const orgKillPolicy = (): OrgKillPolicy | undefined => {
  const policyId = process.env.ORG_KILL_POLICY_ID;
  if (!policyId) return undefined;
  const client = new OrganizationsClient({
    region: process.env.ORG_KILL_REGION || 'us-east-1',
    credentials: fromTemporaryCredentials({
      params: { RoleArn: required('ORG_KILLER_ROLE_ARN'), RoleSessionName: ORG_KILLER_SESSION_NAME },
    }),
  });
  return new OrganizationsKillPolicy(client, policyId);
};

const productionDeps = (): Promise<HttpDeps> => {
  deps ??= (async () => {
    const config = await loadConfig(process.env.JIT_CONFIG_DIR ?? 'config');
    const log = powertoolsLogger(logger);
    const sts = new STSClient({});
    const broker = composeBroker({
      config,
      dynamo: new DynamoDBClient({}),
      tableName: required('TABLE_NAME'),
      logger: log,
      alerts: meteredAlerts(loggingAlerts(log), metrics),
      access: {
        credentials: new StsCredentialIssuer(sts),
        rolePolicies: rolePolicies(sts),
        expiry: expiryScheduler(),
        ...withOrgKill(orgKillPolicy()),
      },
      // Only getGrantAudit may call LookupEvents (FUNCTION_ACCESS); the client costs nothing until used.
      activityLookup: new CloudTrailActivityLookup(new CloudTrailClient({})),
      audit: auditAnchors(),
    });
    return { ...broker, authenticate: iamAuthenticator(config.identitySources) };
  })().catch((error: unknown) => {
    // A broken deployment (config, environment) fails this invocation and is tried again on the next.
    deps = undefined;
    throw error;
  });
  return deps;
};

/**
 * Builds the handler on first use, with the dependencies of this execution environment, and wraps
 * every invocation in Powertools: the Lambda context and handler name on each log line, and one
 * outcome metric per invocation, flushed as EMF before returning. The metrics carry only the
 * service dimension: each extra dimension value is another billed custom metric, and Lambda's own
 * metrics (per function: invocations, errors, duration, init) are free.
 */
const instrumented = <E, R>(
  name: string,
  build: (deps: HttpDeps) => (event: E, context: Context) => Promise<R>,
  outcome: (result: R) => string
) => {
  let handler: ((event: E, context: Context) => Promise<R>) | undefined;
  return async (event: E, context: Context): Promise<R> => {
    logger.addContext(context);
    logger.appendKeys({ handler: name });
    try {
      handler ??= build(await productionDeps());
      const result = await handler(event, context);
      metrics.addMetric(outcome(result), MetricUnit.Count, 1);
      return result;
    } catch (error) {
      metrics.addMetric('unhandled-error', MetricUnit.Count, 1);
      logger.error('invocation failed', error as Error);
      throw error;
    } finally {
      metrics.publishStoredMetrics();
    }
  };
};

type HttpResult = Awaited<ReturnType<HttpHandler>>;

/** The entry point of one route; a name ROUTES does not have fails when the bundle loads, not on a request. */
const route = (name: string) => {
  const found: Route | undefined = ROUTES.find((r) => r.name === name);
  if (found === undefined) throw new Error(`no route named ${name} in ROUTES`);
  return instrumented<HttpEvent, HttpResult>(
    name,
    (d) => found.build(d),
    (response) => `http-${Math.floor(response.statusCode / 100)}xx`
  );
};

// One export per ROUTES entry, named like it: the stack sets each function's Handler to
// `index.<route name>`. test/deploy checks every route has its export here and in the built bundle.
export const health = route('health');
export const createGrant = route('createGrant');
export const listGrants = route('listGrants');
export const getGrant = route('getGrant');
export const approveGrant = route('approveGrant');
export const denyGrant = route('denyGrant');
export const cancelGrant = route('cancelGrant');
export const reviewGrant = route('reviewGrant');
export const getGrantAudit = route('getGrantAudit');
export const vendCredentials = route('vendCredentials');
export const finishGrant = route('finishGrant');
export const revokeGrant = route('revokeGrant');
export const extendGrant = route('extendGrant');
export const ciCredentials = route('ciCredentials');
export const ciRevend = route('ciRevend');
export const ciDone = route('ciDone');
export const getReport = route('getReport');
export const expire = instrumented('expire', expiryHandler, (result) => `expiry-${result.outcome}`);
export const sweep = instrumented('sweep', sweepHandler, () => 'sweep-finished');
export const recordActivity = instrumented('recordActivity', activityHandler, (result) => `activity-${result.outcome}`);
