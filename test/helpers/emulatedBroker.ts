import { GetRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { DeleteScheduleCommand, GetScheduleCommand } from '@aws-sdk/client-scheduler';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { Context } from 'aws-lambda';
import { KmsChainSigner } from '../../functions/adapters/aws/kmsChainSigner.js';
import { jsonLogger } from '../../functions/adapters/jsonLogger.js';
import { sweep } from '../../functions/app/sweep.js';
import type { BrokerConfig } from '../../functions/config/brokerConfig.js';
import { KILL_POLICY_NAME } from '../../functions/domain/sessionKill.js';
import type { AccessAdapters } from '../../functions/handlers/composeBroker.js';
import { expiryHandler } from '../../functions/handlers/scheduledHandlers.js';
import type { IssuedCredentials } from '../../functions/ports.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../sandbox/localAws.js';
import { localIamClient } from '../../sandbox/localAwsClients.js';
import { sandboxOrgKill } from '../../sandbox/orgKill.js';
import { startSandboxAccess } from '../../sandbox/sandboxAccess.js';
import { scheduleDispatcher } from '../../sandbox/scheduleDispatcher.js';
import { startApi } from './apiServer.js';
import { asFunction } from './awsCallRecorder.js';
import { brokerOnFreshTable, exampleConfig, manualClock } from './fixtures.js';

/**
 * The audit chain's key in the emulator's KMS, as infra/chainSigningKey.ts makes it in AWS: so the
 * calls the functions make to sign and check heads are recorded like every other AWS call.
 */
const emulatedChainKey = async (endpoint: string) => {
  const kms = new KMSClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  const { KeyMetadata } = await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }));
  if (KeyMetadata?.Arn === undefined) throw new Error('the emulator created no KMS key');
  return { kms, signer: new KmsChainSigner(kms, { keyArn: KeyMetadata.Arn }), keyArn: KeyMetadata.Arn };
};

/**
 * The broker on DynamoDB Local and the AWS emulator (moto_server), with a clock the test moves
 * and the sandbox's schedule dispatcher: everything but the sandbox's process and timers. Chain
 * heads are signed with a KMS key in the emulator.
 */
const emulatedBroker = async (
  options: {
    wrap?: (adapters: AccessAdapters) => AccessAdapters;
    /** Changes to the example configuration (e.g. a local CI issuer). */
    configure?: (config: BrokerConfig) => BrokerConfig;
    /** The organization-wide kill on, with its SCP in the emulator's organization. */
    orgKill?: boolean;
  } = {}
) => {
  const example = await exampleConfig();
  const config = options.configure ? options.configure(example) : example;
  const clock = manualClock(new Date());
  const access = await startSandboxAccess({ useRealAws: false, config, logger: jsonLogger('silent') });
  if (access.mode !== 'emulator' || access.scheduler === undefined || access.awsEndpoint === undefined) {
    await access.stop();
    throw new Error('these tests need the local AWS emulator: pip install "moto[server]"');
  }
  const org = options.orgKill ? await sandboxOrgKill(access.awsEndpoint) : undefined;
  const withOrg = org === undefined ? access.adapters : { ...access.adapters, orgKill: org.policy };
  const adapters = options.wrap ? options.wrap(withOrg) : withOrg;
  const chainKey = await emulatedChainKey(access.awsEndpoint);
  const broker = await brokerOnFreshTable({ clock, config, access: adapters, signer: chainKey.signer });
  const api = await startApi(broker.deps);
  const expiryFunction = expiryHandler(broker.deps);
  const expire = (event: unknown, context: Context) => asFunction('expire', () => expiryFunction(event, context));
  const dispatcher = scheduleDispatcher({
    scheduler: access.scheduler.client,
    groupName: access.scheduler.groupName,
    invoke: (payload) => expire(payload, {} as never),
    logger: broker.deps.logger,
    now: () => clock.now(),
  });
  const { client: scheduler, groupName } = access.scheduler;
  const endpoint = access.awsEndpoint;
  return {
    ...broker,
    api,
    clock,
    awsEndpoint: endpoint,
    dispatcher,
    /** One run of the sweeper, as its Lambda function. */
    sweep: () => asFunction('sweep', () => sweep(broker.deps)),
    /** What Scheduler delivers at expiry (again, for a retry). */
    fireExpiry: (grantId: string) => expire({ grantId, reason: 'expiry' }, {} as never),
    schedule: (grantId: string) =>
      scheduler
        .send(new GetScheduleCommand({ Name: `jit-expire-${grantId}`, GroupName: groupName }))
        .catch(() => undefined),
    loseSchedule: (grantId: string) =>
      scheduler.send(new DeleteScheduleCommand({ Name: `jit-expire-${grantId}`, GroupName: groupName })),
    /** Who the emulator says these credentials are (GetCallerIdentity, signed with them). */
    callerIdentity: async (credentials: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string }) => {
      const sts = new STSClient({
        endpoint,
        region: LOCAL_REGION,
        credentials: {
          accessKeyId: credentials.AccessKeyId,
          secretAccessKey: credentials.SecretAccessKey,
          sessionToken: credentials.SessionToken,
        },
      });
      try {
        return await sts.send(new GetCallerIdentityCommand({}));
      } finally {
        sts.destroy();
      }
    },
    /** The source identities (grant ids) the role's kill policy denies; undefined without one. */
    killedOn: async (roleName: string): Promise<string[] | undefined> => {
      const iam = localIamClient(endpoint);
      try {
        const out = await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: KILL_POLICY_NAME }));
        const document = JSON.parse(decodeURIComponent(out.PolicyDocument ?? ''));
        return document.Statement[0].Condition.StringEquals['aws:SourceIdentity'];
      } catch (error) {
        if ((error as Error).name === 'NoSuchEntityException') return undefined;
        throw error;
      } finally {
        iam.destroy();
      }
    },
    chainKeyArn: chainKey.keyArn,
    /** The organization's kill SCP as the emulator holds it (with `orgKill`). */
    orgKillDocument: async () => org?.document(),
    dispose: async () => {
      org?.stop();
      await api.close();
      await broker.dispose();
      chainKey.kms.destroy();
      await access.stop();
    },
  };
};

type EmulatedBroker = Awaited<ReturnType<typeof emulatedBroker>>;
type CredentialProcessOutput = {
  Version: 1;
  AccessKeyId: string;
  SecretAccessKey: string;
  SessionToken: string;
  Expiration: string;
};

export type { CredentialProcessOutput, EmulatedBroker, IssuedCredentials };
export { emulatedBroker };
