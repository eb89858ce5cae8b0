import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { CreateEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectLockConfigurationCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../sandbox/localAws.js';
import { type MotoServer, startMotoServer } from '../../sandbox/motoServer.js';
import { grantRequest, startApi } from '../helpers/apiServer.js';
import { asFunction } from '../helpers/awsCallRecorder.js';
import { brokerOnFreshTable } from '../helpers/fixtures.js';

const BUCKET = 'jit-audit-archive-test';
const BUS = 'jit-domain-events-test';

/**
 * The stream publisher as Lambda runs it (the production export, its clients built from the
 * environment) against the AWS emulator: an Object Lock bucket and an event bus, fed with stream
 * records of audit events a real grant wrote to DynamoDB Local.
 */
describe('the audit stream publisher against S3 and EventBridge (AWS emulator)', () => {
  let moto: MotoServer;
  let broker: Awaited<ReturnType<typeof brokerOnFreshTable>>;
  let s3: S3Client;
  let records: DynamoDBRecord[];
  let publishAuditEvents: (event: DynamoDBStreamEvent) => Promise<unknown>;

  beforeAll(async () => {
    moto = await startMotoServer();
    const clientConfig = { endpoint: moto.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
    s3 = new S3Client({ ...clientConfig, forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET, ObjectLockEnabledForBucket: true }));
    await s3.send(
      new PutObjectLockConfigurationCommand({
        Bucket: BUCKET,
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 1 } },
        },
      })
    );
    const events = new EventBridgeClient(clientConfig);
    await events.send(new CreateEventBusCommand({ Name: BUS }));
    events.destroy();
    // What Lambda's environment gives the function (infra/statelessStack.ts sets the two names).
    for (const [name, value] of Object.entries({
      EVENT_BUS_NAME: BUS,
      AUDIT_ARCHIVE_BUCKET: BUCKET,
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      POWERTOOLS_METRICS_DISABLED: 'true',
    })) {
      vi.stubEnv(name, value);
    }
    // Imported only now: the module reads its environment when it loads, as in Lambda.
    ({ publishAuditEvents } = await import('../../functions/handlers/auditStream.js'));

    broker = await brokerOnFreshTable();
    const api = await startApi(broker.deps);
    const created = await api.as('alice').post('/grants', grantRequest());
    await api.as('bob').post(`/grants/${created.body.id}/approve`);
    await api.close();
    // The stream's INSERT records of the grant's audit events, in order, as DynamoDB Streams sends them.
    const items = await broker.dynamo.send(new ScanCommand({ TableName: broker.tableName }));
    records = (items.Items ?? [])
      .filter((item) => item.SK?.S?.startsWith('EVENT#'))
      .sort((a, b) => String(a.SK?.S).localeCompare(String(b.SK?.S)))
      .map((item, i) => ({
        eventName: 'INSERT',
        dynamodb: {
          SequenceNumber: String(1000 + i),
          Keys: { PK: item.PK, SK: item.SK },
          NewImage: item,
        },
      })) as DynamoDBRecord[];
    expect(records).toHaveLength(2);
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    s3?.destroy();
    await broker?.dispose();
    await moto?.stop();
  });

  const publish = (event: DynamoDBStreamEvent) => asFunction('publishAuditEvents', () => publishAuditEvents(event));

  it('archives each event once, checksummed and locked, and publishes it', async () => {
    expect(await publish({ Records: records })).toEqual({ batchItemFailures: [] });
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: 'audit/' }));
    const keys = (versions.Versions ?? []).map((v) => v.Key ?? '');
    expect(keys).toHaveLength(2);
    for (const key of keys) {
      expect(key).toMatch(/^audit\/g-[0-9a-z]{26}\/0000000[12]\.ndjson$/);
      const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key, ChecksumMode: 'ENABLED' }));
      expect(head.ChecksumSHA256, key).toBeDefined();
      expect(head.ObjectLockMode, key).toBe('GOVERNANCE');
    }
    const first = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: keys.sort()[0] }));
    expect(JSON.parse(await (first.Body?.transformToString() ?? '')).type).toBe('grant.requested');
  });

  it('counts a batch delivered again as archived, and writes no second version', async () => {
    expect(await publish({ Records: records })).toEqual({ batchItemFailures: [] });
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: 'audit/' }));
    expect(versions.Versions ?? []).toHaveLength(2);
  });
});
