import {
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolesCommand,
} from '@aws-sdk/client-iam';
import { GetObjectCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IamRolePolicies } from '../../functions/adapters/aws/iamRolePolicies.js';
import { StsCredentialIssuer } from '../../functions/adapters/aws/stsCredentialIssuer.js';
import { jsonLogger } from '../../functions/adapters/jsonLogger.js';
import type { CatalogRole } from '../../functions/domain/catalog.js';
import { KILL_POLICY_NAME, renderKillPolicy } from '../../functions/domain/sessionKill.js';
import { renderSessionPolicy } from '../../functions/domain/sessionPolicy.js';
import type { IssuedCredentials } from '../../functions/ports.js';
import { EXAMPLE_OBJECT, seedExampleData } from '../../sandbox/exampleData.js';
import { LOCAL_ACCOUNT, LOCAL_CREDENTIALS, LOCAL_REGION } from '../../sandbox/localAws.js';
import { localIamClient, localS3Client, localStsClient } from '../../sandbox/localAwsClients.js';
import { type MotoServer, startMotoServer } from '../../sandbox/motoServer.js';
import { type SandboxTrailRecord, startRecordingProxy } from '../../sandbox/recordingProxy.js';
import { sandboxIam } from '../../sandbox/sandboxIam.js';
import { ensureTargetRoles } from '../../sandbox/targetRoles.js';
import { rememberingVends } from '../../sandbox/vendedSessions.js';
import { exampleConfig } from '../helpers/fixtures.js';

/**
 * The sandbox's IAM on moto_server: the catalog's target roles with their ceilings, sessions vended
 * by the broker's own STS adapter, the kill written by its own IAM adapter, and the recording proxy
 * deciding every call before moto sees it. Calls go through the AWS SDK, so the refusals are read
 * by the SDK's own parsers.
 */
const TTL_MS = 100;
const TABLE = `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/orders`;
const SCOPE = { actions: ['s3:GetObject', 'dynamodb:GetItem'], resources: ['arn:aws:s3:::example-bucket/*', TABLE] };

describe('the sandbox enforces IAM on the emulator', () => {
  let moto: MotoServer | undefined;
  let iam: IAMClient;
  let proxy: Awaited<ReturnType<typeof startRecordingProxy>> | undefined;
  let prodRead: CatalogRole;
  let now = new Date('2026-11-23T09:00:00.000Z');
  const records: SandboxTrailRecord[] = [];
  const clients: { destroy(): void }[] = [];
  let issue: (grantId: string) => Promise<IssuedCredentials>;

  beforeAll(async () => {
    moto = await startMotoServer();
    iam = localIamClient(moto.endpoint);
    const config = await exampleConfig();
    prodRead = config.catalog.roles.get('prod-read') as CatalogRole;
    await ensureTargetRoles(iam, [...config.catalog.roles.values()], 'arn:aws:iam::123456789012:role/jit-broker');
    const s3 = localS3Client(moto.endpoint);
    await seedExampleData(s3).finally(() => s3.destroy());
    const dynamo = new DynamoDBClient({
      endpoint: moto.endpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    await dynamo.send(
      new CreateTableCommand({
        TableName: 'orders',
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      })
    );
    await dynamo.send(new PutItemCommand({ TableName: 'orders', Item: { id: { S: '1' }, total: { N: '42' } } }));
    dynamo.destroy();

    const sts = localStsClient(moto.endpoint);
    clients.push(sts, iam);
    const vends = rememberingVends(new StsCredentialIssuer(sts), () => now);
    issue = (grantId) =>
      vends.issuer.issue({
        roleArn: prodRead.roleArn,
        sessionName: `alice.${grantId}`,
        sourceIdentity: grantId,
        tags: { 'jit-grant-id': grantId, 'jit-requester': 'alice' },
        policy: renderSessionPolicy(SCOPE),
        durationSeconds: 900,
      });
    proxy = await startRecordingProxy({
      target: moto.endpoint,
      sessions: vends.sessions,
      resources: { account: LOCAL_ACCOUNT, roleArnByName: new Map([['prod-read', prodRead.roleArn]]) },
      enforce: sandboxIam({ iam, now: () => now, ttlMs: TTL_MS }),
      record: async (record) => records.push(record),
      now: () => now,
      logger: jsonLogger('silent'),
    });
  });

  afterAll(async () => {
    for (const client of clients) client.destroy();
    await proxy?.stop();
    await moto?.stop();
  });

  const as = (credentials: IssuedCredentials) => {
    const config = {
      endpoint: proxy!.endpoint,
      region: LOCAL_REGION,
      maxAttempts: 1,
      credentials: {
        accessKeyId: credentials.accessKeyId,
        secretAccessKey: credentials.secretAccessKey,
        sessionToken: credentials.sessionToken,
      },
    };
    const s3 = new S3Client({ ...config, forcePathStyle: true });
    const dynamo = new DynamoDBClient(config);
    const iamAs = new IAMClient(config);
    const sts = new STSClient(config);
    clients.push(s3, dynamo, iamAs, sts);
    return {
      getObject: async () =>
        (
          await s3.send(new GetObjectCommand({ Bucket: EXAMPLE_OBJECT.bucket, Key: EXAMPLE_OBJECT.key }))
        ).Body?.transformToString(),
      listBuckets: () => s3.send(new ListBucketsCommand({})),
      getItem: () => dynamo.send(new GetItemCommand({ TableName: 'orders', Key: { id: { S: '1' } } })),
      query: () =>
        dynamo.send(
          new QueryCommand({
            TableName: 'orders',
            KeyConditionExpression: 'id = :id',
            ExpressionAttributeValues: { ':id': { S: '1' } },
          })
        ),
      listRoles: () => iamAs.send(new ListRolesCommand({})),
      whoAmI: () => sts.send(new GetCallerIdentityCommand({})),
    };
  };
  const refusal = async (send: () => Promise<unknown>) => {
    try {
      await send();
    } catch (error) {
      return { name: (error as Error).name, message: (error as Error).message };
    }
    throw new Error('expected AccessDenied');
  };
  /** Writes the kill policy for `grantId` ended now, as the broker's renderer would, and waits out the TTL. */
  const killNow = async (grantId: string, otherPoliciesSize: number) => {
    const record = { grantId, roleArn: prodRead.roleArn, sourceIdentity: grantId, endedAt: now.toISOString() };
    const rendered = renderKillPolicy([{ ...record, until: '2026-11-23T10:00:00.000Z' }], now, otherPoliciesSize);
    if (rendered.kind === 'none') throw new Error('expected a kill policy');
    await new IamRolePolicies(iam).put(prodRead.roleArn, { name: KILL_POLICY_NAME, document: rendered.document });
    await new Promise((resolve) => setTimeout(resolve, TTL_MS + 50));
    return rendered.kind;
  };
  const recordsOf = (credentials: IssuedCredentials) =>
    records.filter((r) => r.userIdentity?.accessKeyId === credentials.accessKeyId);

  it('gives each target role its catalog ceiling as a managed permission policy', async () => {
    const { AttachedPolicies } = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'prod-read' }));
    expect(AttachedPolicies?.map((p) => p.PolicyName)).toEqual(['prod-read-ceiling']);
    const arn = AttachedPolicies?.[0]?.PolicyArn as string;
    const { Policy } = await iam.send(new GetPolicyCommand({ PolicyArn: arn }));
    const { PolicyVersion } = await iam.send(
      new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: Policy?.DefaultVersionId })
    );
    expect(JSON.parse(decodeURIComponent(PolicyVersion?.Document ?? '{}')).Statement).toEqual([
      {
        Sid: 'CatalogCeiling',
        Effect: 'Allow',
        Action: prodRead.scopeCeiling.actions,
        Resource: prodRead.scopeCeiling.resources,
      },
    ]);
  });

  it('a live session: in-scope calls reach moto, out-of-scope calls are refused in each protocol and recorded', async () => {
    const alice = await issue('g-01jaliceinscope0000000000');
    const calls = as(alice);
    expect(await calls.getObject()).toBe(EXAMPLE_OBJECT.body);
    expect((await calls.getItem()).Item?.total).toEqual({ N: '42' });
    expect((await calls.whoAmI()).Arn).toBe(alice.assumedRoleArn);

    expect(await refusal(calls.listBuckets)).toEqual({
      name: 'AccessDenied',
      message: `User: ${alice.assumedRoleArn} is not authorized to perform: s3:ListAllMyBuckets because no identity-based policy allows the s3:ListAllMyBuckets action`,
    });
    expect(await refusal(calls.query)).toEqual({
      name: 'AccessDeniedException',
      message: `User: ${alice.assumedRoleArn} is not authorized to perform: dynamodb:Query on resource: ${TABLE} because no session policy allows the dynamodb:Query action`,
    });
    expect((await refusal(calls.listRoles)).name).toBe('AccessDenied');

    const byEvent = Object.fromEntries(recordsOf(alice).map((r) => [r.eventName, r]));
    expect(byEvent.GetObject?.errorCode).toBeUndefined();
    expect(byEvent.GetItem?.errorCode).toBeUndefined();
    expect(byEvent.ListBuckets).toMatchObject({
      eventSource: 's3.amazonaws.com',
      errorCode: 'AccessDenied',
      errorMessage: expect.stringContaining('s3:ListAllMyBuckets'),
      userIdentity: { sessionContext: { sourceIdentity: 'g-01jaliceinscope0000000000' } },
    });
    expect(byEvent.Query).toMatchObject({ eventSource: 'dynamodb.amazonaws.com', errorCode: 'AccessDeniedException' });
    expect(byEvent.ListRoles).toMatchObject({ eventSource: 'iam.amazonaws.com', errorCode: 'AccessDenied' });
  });

  it('the broker’s kill takes hold within the TTL: the ended grant is refused everywhere, another grant is not', async () => {
    const ended = await issue('g-01jendedgrant0000000000000');
    const other = await issue('g-01jothergrant0000000000000');
    const endedCalls = as(ended);
    const otherCalls = as(other);
    expect(await endedCalls.getObject()).toBe(EXAMPLE_OBJECT.body);

    now = new Date('2026-11-23T09:10:00.000Z');
    expect(await killNow('g-01jendedgrant0000000000000', 0)).toBe('per-grant');

    const killed = `User: ${ended.assumedRoleArn} is not authorized to perform`;
    expect(await refusal(endedCalls.getObject)).toEqual({
      name: 'AccessDenied',
      message: `${killed}: s3:GetObject on resource: "arn:aws:s3:::${EXAMPLE_OBJECT.bucket}/${EXAMPLE_OBJECT.key}" with an explicit deny in an identity-based policy`,
    });
    expect(await refusal(endedCalls.getItem)).toMatchObject({ name: 'AccessDeniedException' });
    expect(await refusal(endedCalls.listBuckets)).toMatchObject({ message: expect.stringContaining('explicit deny') });
    expect((await endedCalls.whoAmI()).Arn).toBe(ended.assumedRoleArn);
    expect(await otherCalls.getObject()).toBe(EXAMPLE_OBJECT.body);

    const refused = recordsOf(ended).filter((r) => r.errorCode !== undefined);
    expect(refused.map((r) => [r.eventName, r.errorCode])).toEqual([
      ['GetObject', 'AccessDenied'],
      ['GetItem', 'AccessDeniedException'],
      ['ListBuckets', 'AccessDenied'],
    ]);
  });

  it('the role-wide fallback refuses every session issued before the end, and not a fresh one', async () => {
    now = new Date('2026-11-23T09:15:00.000Z');
    const before = await issue('g-01jbeforeroleend000000000');
    now = new Date('2026-11-23T09:20:00.000Z');
    // The role's other inline policies fill its budget: the kill falls back to aws:TokenIssueTime.
    expect(await killNow('g-01jendedgrant0000000000000', 10_240)).toBe('role-wide');
    now = new Date('2026-11-23T09:21:00.000Z');
    const after = await issue('g-01jafterroleend0000000000');
    expect((await refusal(as(before).getObject)).message).toContain(
      'with an explicit deny in an identity-based policy'
    );
    expect(await as(after).getObject()).toBe(EXAMPLE_OBJECT.body);
  });

  it('calls signed with the sandbox’s own key pass through unrecorded (the broker and admins are not grants)', async () => {
    const count = records.length;
    const admin = localIamClient(proxy!.endpoint);
    clients.push(admin);
    expect((await admin.send(new ListRolesCommand({}))).Roles?.length).toBeGreaterThan(0);
    expect(records.length).toBe(count);
  });
});
