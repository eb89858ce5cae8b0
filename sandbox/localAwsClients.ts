import { IAMClient } from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
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

/** S3 on the emulator at `endpoint` (moto_server), path-style as an IP-address endpoint needs. */
const localS3Client = (endpoint: string): S3Client =>
  new S3Client({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, forcePathStyle: true });

export { localIamClient, localS3Client, localSchedulerClient, localStsClient };
