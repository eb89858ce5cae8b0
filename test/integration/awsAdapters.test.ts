import { GetRoleCommand, type IAMClient, NoSuchEntityException } from '@aws-sdk/client-iam';
import { GetScheduleCommand, ResourceNotFoundException, type SchedulerClient } from '@aws-sdk/client-scheduler';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IamRolePolicies } from '../../functions/adapters/aws/iamRolePolicies.js';
import { SchedulerExpiry } from '../../functions/adapters/aws/schedulerExpiry.js';
import { StsCredentialIssuer } from '../../functions/adapters/aws/stsCredentialIssuer.js';
import { ServiceUnavailableError } from '../../functions/domain/errors.js';
import { LOCAL_REGION } from '../../sandbox/localAws.js';
import { localIamClient, localSchedulerClient, localStsClient } from '../../sandbox/localAwsClients.js';
import { type MotoServer, startMotoServer } from '../../sandbox/motoServer.js';
import { ensureTargetRoles, sandboxScheduleGroup } from '../../sandbox/targetRoles.js';

const ROLE_ARN = 'arn:aws:iam::123456789012:role/jit/prod-read';
const BROKER_ARN = 'arn:aws:iam::123456789012:role/jit-broker';
const GROUP = 'jit-expiry';
const TARGET = {
  groupName: GROUP,
  functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:jit-end-grant',
  roleArn: 'arn:aws:iam::123456789012:role/jit-scheduler-invoke',
  deadLetterArn: 'arn:aws:sqs:us-east-1:123456789012:jit-expiry-dlq',
};

/** The adapters against moto_server, which this file starts (and CI installs: a missing one fails the suite). */
describe('AWS adapters against moto_server', () => {
  let moto: MotoServer | undefined;
  let iam: IAMClient;
  let scheduler: SchedulerClient;
  let sts: STSClient;

  beforeAll(async () => {
    moto = await startMotoServer();
    iam = localIamClient(moto.endpoint);
    scheduler = localSchedulerClient(moto.endpoint);
    sts = localStsClient(moto.endpoint);
    await ensureTargetRoles(iam, [{ roleArn: ROLE_ARN }], BROKER_ARN);
    await sandboxScheduleGroup(scheduler, GROUP);
  });

  afterAll(async () => {
    for (const client of [iam, scheduler, sts]) client?.destroy();
    await moto?.stop();
  });

  describe('sandbox target roles', () => {
    it('creates the catalog role on its path, trusting the broker to assume, tag and set the source identity', async () => {
      const { Role } = await iam.send(new GetRoleCommand({ RoleName: 'prod-read' }));
      expect(Role).toMatchObject({ Arn: ROLE_ARN, Path: '/jit/', MaxSessionDuration: 43200 });
      expect(Role?.Tags).toEqual([{ Key: 'jit-broker:managed', Value: 'true' }]);
      expect(JSON.parse(decodeURIComponent(Role?.AssumeRolePolicyDocument ?? '{}'))).toEqual({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: BROKER_ARN },
            Action: ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'],
          },
        ],
      });
    });

    it('leaves existing roles and groups alone when run again', async () => {
      await expect(ensureTargetRoles(iam, [{ roleArn: ROLE_ARN }], BROKER_ARN)).resolves.toBeUndefined();
      await expect(sandboxScheduleGroup(scheduler, GROUP)).resolves.toBeUndefined();
    });
  });

  describe('StsCredentialIssuer', () => {
    it('vends ASIA credentials whose caller identity is the assumed role and session', async () => {
      const before = Date.now();
      const issued = await new StsCredentialIssuer(sts).issue({
        roleArn: ROLE_ARN,
        sessionName: 'alice.g-01jtest',
        sourceIdentity: 'alice',
        tags: { 'jit-grant-id': 'g-01jtest' },
        policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}',
        durationSeconds: 900,
      });
      expect(issued.accessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/);
      expect(issued.assumedRoleArn).toBe('arn:aws:sts::123456789012:assumed-role/prod-read/alice.g-01jtest');
      expect(issued.expiration.getTime()).toBeGreaterThanOrEqual(before + 899_000);
      expect(issued.expiration.getTime()).toBeLessThanOrEqual(Date.now() + 901_000);

      const asSession = new STSClient({
        endpoint: moto!.endpoint,
        region: LOCAL_REGION,
        credentials: {
          accessKeyId: issued.accessKeyId,
          secretAccessKey: issued.secretAccessKey,
          sessionToken: issued.sessionToken,
        },
      });
      try {
        const identity = await asSession.send(new GetCallerIdentityCommand({}));
        expect(identity.Arn).toBe(issued.assumedRoleArn);
        expect(identity.UserId).toMatch(/^AROA\w+:alice\.g-01jtest$/);
      } finally {
        asSession.destroy();
      }
    });
  });

  describe('IamRolePolicies', () => {
    const deny = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'JitRevoked',
          Effect: 'Deny',
          Action: '*',
          Resource: '*',
          Condition: { StringEquals: { 'aws:SourceIdentity': ['alice@example.com', 'bob+ops@example.com'] } },
        },
      ],
    });

    it('puts, lists (decoded), deletes, and deletes again without complaint', async () => {
      const policies = new IamRolePolicies(iam);
      await policies.put(ROLE_ARN, { name: 'jit-revocations', document: deny });
      expect(await policies.list(ROLE_ARN)).toEqual([{ name: 'jit-revocations', document: deny }]);
      await policies.delete(ROLE_ARN, 'jit-revocations');
      expect(await policies.list(ROLE_ARN)).toEqual([]);
      await expect(policies.delete(ROLE_ARN, 'jit-revocations')).resolves.toBeUndefined();
    });

    it.each([
      ['put', (p: IamRolePolicies, arn: string) => p.put(arn, { name: 'jit-revocations', document: deny })],
      ['list', (p: IamRolePolicies, arn: string) => p.list(arn)],
    ])('reports TARGET_ROLE_MISSING when %s meets a role that does not exist', async (_, call) => {
      const missing = 'arn:aws:iam::123456789012:role/jit/no-such-role';
      const error = await call(new IamRolePolicies(iam), missing).then(
        () => undefined,
        (e: unknown) => e
      );
      expect(error).toBeInstanceOf(ServiceUnavailableError);
      expect(error).toMatchObject({ code: 'TARGET_ROLE_MISSING' });
      expect((error as Error).message).toContain(missing);
    });
  });

  describe('SchedulerExpiry', () => {
    const grantId = 'g-01jtestschedule0000000000';
    const getSchedule = () =>
      scheduler.send(new GetScheduleCommand({ Name: `jit-expire-${grantId}`, GroupName: GROUP }));

    it('creates the schedule, moves it to a later time, cancels it, and cancels again without complaint', async () => {
      const expiry = new SchedulerExpiry(scheduler, TARGET);
      await expiry.schedule(grantId, new Date('2026-11-23T09:30:00.400Z'));
      expect(await getSchedule()).toMatchObject({
        Name: `jit-expire-${grantId}`,
        GroupName: GROUP,
        ScheduleExpression: 'at(2026-11-23T09:30:01)',
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        ActionAfterCompletion: 'DELETE',
        State: 'ENABLED',
        Target: {
          Arn: TARGET.functionArn,
          RoleArn: TARGET.roleArn,
          Input: JSON.stringify({ grantId, reason: 'expiry' }),
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
          DeadLetterConfig: { Arn: TARGET.deadLetterArn },
        },
      });

      await expiry.schedule(grantId, new Date('2026-11-23T10:30:00Z'));
      expect(await getSchedule()).toMatchObject({
        ScheduleExpression: 'at(2026-11-23T10:30:00)',
        ActionAfterCompletion: 'DELETE',
        Target: { Input: JSON.stringify({ grantId, reason: 'expiry' }) },
      });

      await expiry.cancel(grantId);
      await expect(getSchedule()).rejects.toBeInstanceOf(ResourceNotFoundException);
      await expect(expiry.cancel(grantId)).resolves.toBeUndefined();
    });
  });

  describe('moto_server', () => {
    it('forgets everything on reset (then the sandbox roles and group are recreated)', async () => {
      await moto!.reset();
      await expect(iam.send(new GetRoleCommand({ RoleName: 'prod-read' }))).rejects.toBeInstanceOf(
        NoSuchEntityException
      );
      await ensureTargetRoles(iam, [{ roleArn: ROLE_ARN }], BROKER_ARN);
      await sandboxScheduleGroup(scheduler, GROUP);
      const { Role } = await iam.send(new GetRoleCommand({ RoleName: 'prod-read' }));
      expect(Role?.Arn).toBe(ROLE_ARN);
    });
  });
});
