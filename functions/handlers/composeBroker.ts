import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IdentitystoreClient } from '@aws-sdk/client-identitystore';
import { DynamoActivityStore } from '../adapters/aws/dynamoActivityStore.js';
import { DynamoDenialLog } from '../adapters/aws/dynamoDenialLog.js';
import { DynamoGrantedRoles } from '../adapters/aws/dynamoGrantedRoles.js';
import { DynamoGrantStore } from '../adapters/aws/dynamoGrantStore.js';
import { DynamoKillLeases } from '../adapters/aws/dynamoKillLeases.js';
import { DynamoReplayGuard } from '../adapters/aws/dynamoReplayGuard.js';
import { IdentityStoreGroupDirectory } from '../adapters/aws/identityStoreGroupDirectory.js';
import { type AuditArchive, toArchivedEvent } from '../adapters/aws/s3AuditArchive.js';
import { cedarPolicyEngine } from '../adapters/cedarPolicyEngine.js';
import { iamDataActionCatalog } from '../adapters/iamDataActionCatalog.js';
import { joseTokenVerifier } from '../adapters/oidc/joseTokenVerifier.js';
import { systemClock } from '../adapters/systemClock.js';
import type { BrokerDeps } from '../app/deps.js';
import type { BrokerConfig } from '../config/brokerConfig.js';
import type { AuditEvent } from '../domain/auditChain.js';
import { ServiceUnavailableError } from '../domain/errors.js';
import type {
  ActionCatalog,
  ActivityLookup,
  Alerts,
  AuditArchiveReader,
  ChainSigner,
  Clock,
  CredentialIssuer,
  ExpiryScheduler,
  GroupDirectory,
  Logger,
  OrgKillPolicy,
  PolicyEngine,
  RolePolicies,
} from '../ports.js';
import { brokerDeps, groupDirectory, noArchive } from './brokerDeps.js';

/** The AWS-facing adapters; real clients in Lambda, the emulator's in the sandbox. */
interface AccessAdapters {
  readonly credentials: CredentialIssuer;
  readonly rolePolicies: RolePolicies;
  readonly expiry: ExpiryScheduler;
  /** Only where the organization-wide kill is on. */
  readonly orgKill?: OrgKillPolicy;
}

const noCloudTrail: ActivityLookup = {
  lookup: async () => {
    throw new ServiceUnavailableError(
      'CLOUDTRAIL_UNAVAILABLE',
      'CloudTrail Event history is not available here; the recorded activity is in the audit without --cloudtrail'
    );
  },
};

/**
 * The audit chain's outside anchors: the signing key (KMS in AWS, a local key in the sandbox) and
 * the archive. `archiveAppends` is for where no table stream archives events (the sandbox): each
 * event is handed to it once stored, and the caller does not wait for the copy (nor does it in AWS).
 */
interface AuditAnchors {
  readonly signer: ChainSigner;
  readonly archive?: AuditArchiveReader;
  readonly archiveAppends?: AuditArchive;
}

/**
 * Wires the use cases to their adapters, all built at once: the sandbox, the tests and the benches
 * compose here. Lambda composes the same adapters lazily, per bundle (handlers/lambda/runtime.ts).
 */
const composeBroker = (input: {
  config: BrokerConfig;
  dynamo: DynamoDBClient;
  tableName: string;
  logger: Logger;
  access: AccessAdapters;
  clock?: Clock;
  actions?: ActionCatalog;
  alerts?: Alerts;
  policy?: PolicyEngine;
  /** CloudTrail LookupEvents; where there is none (the sandbox), `?lookup=cloudtrail` says so. */
  activityLookup?: ActivityLookup;
  /** Group membership; by default what the configuration names (groupDirectory). */
  directory?: GroupDirectory;
  audit: AuditAnchors;
}): BrokerDeps => {
  const clock = input.clock ?? systemClock;
  const { signer, archiveAppends } = input.audit;
  const afterAppend =
    archiveAppends === undefined
      ? undefined
      : async (event: AuditEvent) => {
          // Not waited for: in AWS the table stream archives after the write, off the caller's path.
          const notArchived = () =>
            input.logger.error('audit event not archived', { grantId: event.grantId, seq: event.seq });
          void archiveAppends
            .archive([toArchivedEvent(event)])
            .then((failed) => failed.length > 0 && notArchived(), notArchived);
        };
  return brokerDeps({
    config: input.config,
    logger: input.logger,
    clock,
    ...(input.alerts === undefined ? {} : { alerts: input.alerts }),
    ...(afterAppend === undefined ? {} : { afterAppend }),
    ports: {
      store: new DynamoGrantStore(input.dynamo, input.tableName),
      killLeases: new DynamoKillLeases(input.dynamo, input.tableName),
      directory:
        input.directory ??
        groupDirectory(
          input.config,
          (source) => new IdentityStoreGroupDirectory(new IdentitystoreClient({ region: source.region }), source)
        ),
      actions: input.actions ?? iamDataActionCatalog(),
      policy: input.policy ?? cedarPolicyEngine(input.config.policies),
      workloadTokens: joseTokenVerifier(input.config.ci.issuers, clock),
      replayGuard: new DynamoReplayGuard(input.dynamo, input.tableName, clock),
      activity: new DynamoActivityStore(input.dynamo, input.tableName),
      activityLookup: input.activityLookup ?? noCloudTrail,
      denials: new DynamoDenialLog(input.dynamo, input.tableName),
      grantedRoles: new DynamoGrantedRoles(input.dynamo, input.tableName),
      chainSigner: signer,
      archive: input.audit.archive ?? noArchive,
      ...input.access,
    },
  });
};

export type { AccessAdapters, AuditAnchors };
export { composeBroker };
