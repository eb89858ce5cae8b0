import { IAMClient } from '@aws-sdk/client-iam';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { STSClient } from '@aws-sdk/client-sts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './localAws.js';

/** STS on the emulator at `endpoint` (moto_server), with the sandbox's fixed credentials. */
const localStsClient = (endpoint: string): STSClient =>
  new STSClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });

/** IAM on the emulator at `endpoint` (moto_server), with the sandbox's fixed credentials. */
const localIamClient = (endpoint: string): IAMClient =>
  new IAMClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });

/** EventBridge Scheduler on the emulator at `endpoint` (moto_server), with the sandbox's fixed credentials. */
const localSchedulerClient = (endpoint: string): SchedulerClient =>
  new SchedulerClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });

export { localIamClient, localSchedulerClient, localStsClient };
