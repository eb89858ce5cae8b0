import { IAMClient } from '@aws-sdk/client-iam';
import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import { STSClient } from '@aws-sdk/client-sts';
import { IamRolePolicies } from '../functions/adapters/aws/iamRolePolicies.js';
import { SchedulerExpiry } from '../functions/adapters/aws/schedulerExpiry.js';
import { StsCredentialIssuer } from '../functions/adapters/aws/stsCredentialIssuer.js';
import { unavailableAws } from '../functions/adapters/unavailableAws.js';
import type { BrokerConfig } from '../functions/config/brokerConfig.js';
import type { AccessAdapters } from '../functions/handlers/composeBroker.js';
import type { Logger } from '../functions/ports.js';
import { seedExampleData } from './exampleData.js';
import { localIamClient, localS3Client, localSchedulerClient, localStsClient } from './localAwsClients.js';
import { motoServerAvailable, startMotoServer } from './motoServer.js';
import { ensureTargetRoles, sandboxScheduleGroup } from './targetRoles.js';

/** Where the sandbox vends from: the local AWS emulator, real AWS, or nowhere (and says how to fix that). */
type AccessMode = 'emulator' | 'aws' | 'none';

const SCHEDULE_GROUP = 'jit-broker-expiry';
/** The sandbox broker's own identity, which the emulated target roles trust. */
const SANDBOX_BROKER_ARN = 'arn:aws:iam::123456789012:role/jit-broker-sandbox';
const HOW_TO_ENABLE =
  'vending needs STS and IAM: install the local AWS emulator (pip install "moto[server]") and restart npm start, ' +
  'or restart with --aws to use the AWS credentials configured on this machine';

interface SandboxAccess {
  readonly mode: AccessMode;
  readonly adapters: AccessAdapters;
  /** The emulator's endpoint, for `aws --endpoint-url` and the tests. */
  readonly awsEndpoint?: string;
  /** Present in emulator mode: the scheduler to dispatch due expiry schedules from. */
  readonly scheduler?: { client: SchedulerClient; groupName: string };
  stop(): Promise<void>;
}

const startSandboxAccess = async (input: {
  useRealAws: boolean;
  config: BrokerConfig;
  logger: Logger;
}): Promise<SandboxAccess> => {
  if (input.useRealAws) {
    // Real credentials from the default chain. Expiry falls to the sweeper: there is no Lambda to target.
    return {
      mode: 'aws',
      adapters: {
        ...unavailableAws(HOW_TO_ENABLE, input.logger),
        credentials: new StsCredentialIssuer(new STSClient({})),
        rolePolicies: new IamRolePolicies(new IAMClient({})),
      },
      stop: async () => {},
    };
  }
  if (!motoServerAvailable()) {
    return { mode: 'none', adapters: unavailableAws(HOW_TO_ENABLE, input.logger), stop: async () => {} };
  }
  const moto = await startMotoServer();
  try {
    const iam = localIamClient(moto.endpoint);
    const scheduler = localSchedulerClient(moto.endpoint);
    await ensureTargetRoles(iam, [...input.config.catalog.roles.values()], SANDBOX_BROKER_ARN);
    await sandboxScheduleGroup(scheduler, SCHEDULE_GROUP);
    const s3 = localS3Client(moto.endpoint);
    await seedExampleData(s3).finally(() => s3.destroy());
    return {
      mode: 'emulator',
      awsEndpoint: moto.endpoint,
      adapters: {
        credentials: new StsCredentialIssuer(localStsClient(moto.endpoint)),
        rolePolicies: new IamRolePolicies(iam),
        expiry: new SchedulerExpiry(scheduler, {
          groupName: SCHEDULE_GROUP,
          functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:jit-broker-expire',
          roleArn: 'arn:aws:iam::123456789012:role/jit-broker-scheduler',
          deadLetterArn: 'arn:aws:sqs:us-east-1:123456789012:jit-broker-expiry-dlq',
        }),
      },
      scheduler: { client: scheduler, groupName: SCHEDULE_GROUP },
      stop: async () => {
        iam.destroy();
        scheduler.destroy();
        await moto.stop();
      },
    };
  } catch (error) {
    await moto.stop();
    throw error;
  }
};

export type { AccessMode, SandboxAccess };
export { HOW_TO_ENABLE, SANDBOX_BROKER_ARN, startSandboxAccess };
