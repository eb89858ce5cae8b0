import {
  DeleteRolePolicyCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient, STSServiceException } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  CrossAccountRolePolicies,
  type CrossAccountRolePoliciesOptions,
  roleArnAccount,
  sessionKillerArn,
} from '../../functions/adapters/aws/crossAccountRolePolicies.js';
import { ServiceUnavailableError } from '../../functions/domain/errors.js';
import { offlineClientConfig, rejectionOf, serviceFault } from '../helpers/awsFaults.js';

const iam = mockClient(IAMClient);
const sts = mockClient(STSClient);

const BROKER_ACCOUNT = '111111111111';
const OWN_ROLE = `arn:aws:iam::${BROKER_ACCOUNT}:role/jit/prod-read`;
const WORKLOAD_ROLE = 'arn:aws:iam::222222222222:role/jit/prod-read';
const OTHER_WORKLOAD_ROLE = 'arn:aws:iam::333333333333:role/jit/staging-deploy';
const KILLER = 'arn:aws:iam::222222222222:role/jit-broker-session-killer';
const POLICY = { name: 'jit-broker-session-kill', document: '{"Version":"2012-10-17","Statement":[]}' };

const T0 = new Date('2026-11-23T10:00:00Z');
const assumed = (keyId: string, expiration: Date) => ({
  Credentials: {
    AccessKeyId: keyId,
    SecretAccessKey: `secret-${keyId}`,
    SessionToken: `token-${keyId}`,
    Expiration: expiration,
  },
  AssumedRoleUser: {
    AssumedRoleId: 'AROAKILLER:jit-broker-kill',
    Arn: 'arn:aws:sts::222222222222:assumed-role/jit-broker-session-killer/jit-broker-kill',
  },
});

/** The broker's own IAM client, told apart from the per-account ones by identity. */
const ownIam = new IAMClient(offlineClientConfig);

const adapter = (options: Partial<CrossAccountRolePoliciesOptions> = {}) =>
  new CrossAccountRolePolicies({
    brokerAccountId: BROKER_ACCOUNT,
    iam: ownIam,
    sts: new STSClient(offlineClientConfig),
    iamClientConfig: { region: offlineClientConfig.region, endpoint: offlineClientConfig.endpoint, maxAttempts: 1 },
    ...options,
  });

/** Each IAM call as it was sent: the command, the client that sent it, the access key that client signs with. */
let sent: { command: string; client: unknown; accessKeyId: string }[] = [];

/** Answers `command` with `output`, recording the credentials of the client that sends it at that moment. */
const answer = (command: IamCommand, output: object) =>
  // One union of command classes is more than `on` can type; the output is checked by the adapter under test.
  iam.on(command as typeof PutRolePolicyCommand).callsFake(async (_input, getClient) => {
    const client = getClient();
    const credentials = await client.config.credentials();
    sent.push({ command: command.name, client, accessKeyId: credentials.accessKeyId });
    return output;
  });
type IamCommand =
  | typeof ListRolePoliciesCommand
  | typeof GetRolePolicyCommand
  | typeof PutRolePolicyCommand
  | typeof DeleteRolePolicyCommand;

const signedWith = (command: IamCommand): string[] =>
  sent.filter((s) => s.command === command.name).map((s) => s.accessKeyId);

beforeEach(() => {
  iam.reset();
  sts.reset();
  // The SDK's own credential cache and the adapter's read the same (fake) clock.
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T0);
  sent = [];
  answer(ListRolePoliciesCommand, { PolicyNames: [], IsTruncated: false });
  answer(PutRolePolicyCommand, {});
  answer(DeleteRolePolicyCommand, {});
});

afterAll(() => {
  vi.useRealTimers();
  iam.restore();
  sts.restore();
});

describe('roleArnAccount and sessionKillerArn', () => {
  it('read the partition and account off a role ARN and name the killer role there', () => {
    expect(roleArnAccount(WORKLOAD_ROLE)).toEqual({ partition: 'aws', account: '222222222222' });
    expect(sessionKillerArn(WORKLOAD_ROLE)).toBe(KILLER);
    expect(sessionKillerArn('arn:aws-cn:iam::444444444444:role/a/b/c', 'killer')).toBe(
      'arn:aws-cn:iam::444444444444:role/killer'
    );
  });

  it.each(['arn:aws:iam::222222222222:user/alice', 'arn:aws:iam::22:role/x', 'prod-read'])('rejects %s', (arn) => {
    expect(() => roleArnAccount(arn)).toThrow(`${arn} is not an IAM role ARN`);
  });

  it('refuses a broker account id that is not one', () => {
    expect(() => adapter({ brokerAccountId: 'us-east-1' })).toThrow('the broker account id must be 12 digits');
  });
});

describe('CrossAccountRolePolicies', () => {
  it("changes roles in the broker's own account with the broker's IAM client, assuming nothing", async () => {
    const policies = adapter();
    await policies.put(OWN_ROLE, POLICY);
    await policies.list(OWN_ROLE);
    await policies.delete(OWN_ROLE, POLICY.name);

    expect(sts.commandCalls(AssumeRoleCommand)).toEqual([]);
    for (const command of [PutRolePolicyCommand, ListRolePoliciesCommand, DeleteRolePolicyCommand]) {
      expect(sent.filter((c) => c.command === command.name).map((c) => c.client)).toEqual([ownIam]);
    }
    expect(signedWith(PutRolePolicyCommand)).toEqual([offlineClientConfig.credentials.accessKeyId]);
  });

  it("changes a workload account's role with the credentials of that account's session killer", async () => {
    sts.on(AssumeRoleCommand).resolves(assumed('ASIAKILLER', new Date(T0.getTime() + 3600_000)));
    const policies = adapter();
    await policies.put(WORKLOAD_ROLE, POLICY);

    expect(sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input)).toEqual([
      { RoleArn: KILLER, RoleSessionName: 'jit-broker-kill' },
    ]);
    const [put] = iam.commandCalls(PutRolePolicyCommand);
    expect(put?.args[0].input).toEqual({
      RoleName: 'prod-read',
      PolicyName: POLICY.name,
      PolicyDocument: POLICY.document,
    });
    expect(sent.map((c) => c.client)).not.toContain(ownIam);
    expect(signedWith(PutRolePolicyCommand)).toEqual(['ASIAKILLER']);
  });

  it('assumes the killer role once and reuses its credentials until five minutes before they expire', async () => {
    sts
      .on(AssumeRoleCommand)
      .resolvesOnce(assumed('ASIAFIRST', new Date(T0.getTime() + 3600_000)))
      .resolvesOnce(assumed('ASIASECOND', new Date(T0.getTime() + 2 * 3600_000)));
    const policies = adapter();
    await policies.list(WORKLOAD_ROLE);
    await policies.put(WORKLOAD_ROLE, POLICY);
    vi.setSystemTime(new Date(T0.getTime() + 54 * 60_000));
    await policies.delete(WORKLOAD_ROLE, POLICY.name);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);

    vi.setSystemTime(new Date(T0.getTime() + 56 * 60_000));
    await policies.put(WORKLOAD_ROLE, POLICY);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(2);
    expect(signedWith(ListRolePoliciesCommand)).toEqual(['ASIAFIRST']);
    expect(signedWith(PutRolePolicyCommand)).toEqual(['ASIAFIRST', 'ASIASECOND']);
  });

  it("keeps one killer session per account, each in that account's own killer role", async () => {
    sts.on(AssumeRoleCommand, { RoleArn: KILLER }).resolves(assumed('ASIA222', new Date(T0.getTime() + 3600_000)));
    sts
      .on(AssumeRoleCommand, { RoleArn: 'arn:aws:iam::333333333333:role/jit-broker-session-killer' })
      .resolves(assumed('ASIA333', new Date(T0.getTime() + 3600_000)));
    const policies = adapter();
    await policies.put(WORKLOAD_ROLE, POLICY);
    await policies.put(OTHER_WORKLOAD_ROLE, POLICY);
    await policies.put(WORKLOAD_ROLE, POLICY);
    await policies.put(OWN_ROLE, POLICY);

    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(2);
    expect(signedWith(PutRolePolicyCommand)).toEqual([
      'ASIA222',
      'ASIA333',
      'ASIA222',
      offlineClientConfig.credentials.accessKeyId,
    ]);
  });

  it('uses the configured killer role name', async () => {
    sts.on(AssumeRoleCommand).resolves(assumed('ASIAKILLER', new Date(T0.getTime() + 3600_000)));
    await adapter({ killerRoleName: 'ops-session-killer' }).delete(WORKLOAD_ROLE, POLICY.name);
    expect(sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input.RoleArn).toBe(
      'arn:aws:iam::222222222222:role/ops-session-killer'
    );
  });

  it('says which killer role to deploy when it cannot be assumed, and tries again on the next call', async () => {
    sts
      .on(AssumeRoleCommand)
      .rejectsOnce(serviceFault(STSServiceException, 'AccessDenied', 403))
      .resolves(assumed('ASIAKILLER', new Date(T0.getTime() + 3600_000)));
    const policies = adapter();

    const error = await rejectionOf(policies.put(WORKLOAD_ROLE, POLICY));
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({
      code: 'KILLER_ROLE_UNAVAILABLE',
      message: `cannot assume ${KILLER}: deploy the session killer (JitSessionKiller) in account 222222222222 (docs/deploy.md)`,
    });
    expect((error as Error).cause).toMatchObject({ name: 'AccessDenied' });
    expect(iam.commandCalls(PutRolePolicyCommand)).toEqual([]);

    await policies.put(WORKLOAD_ROLE, POLICY);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(2);
    expect(signedWith(PutRolePolicyCommand)).toEqual(['ASIAKILLER']);
  });

  it('reports an STS outage as one, not as a missing killer role', async () => {
    sts.on(AssumeRoleCommand).rejects(serviceFault(STSServiceException, 'Throttling', 400));
    const error = await rejectionOf(adapter().list(WORKLOAD_ROLE));
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({ code: 'STS_THROTTLED' });
  });

  it('never puts the secret of an incomplete STS answer into its error', async () => {
    sts.on(AssumeRoleCommand).resolves({ Credentials: { SecretAccessKey: 'SECRET' } } as never);
    const error = (await rejectionOf(adapter().list(WORKLOAD_ROLE))) as Error;
    expect(error.message).toBe(`STS answered AssumeRole on ${KILLER} without complete credentials`);
    expect(JSON.stringify(error)).not.toContain('SECRET');
  });

  it('leaves the translation of IAM answers to IamRolePolicies', async () => {
    sts.on(AssumeRoleCommand).resolves(assumed('ASIAKILLER', new Date(T0.getTime() + 3600_000)));
    answer(ListRolePoliciesCommand, { PolicyNames: ['base'], IsTruncated: false });
    answer(GetRolePolicyCommand, { PolicyDocument: encodeURIComponent('{"a":"b c"}') });
    expect(await adapter().list(WORKLOAD_ROLE)).toEqual([{ name: 'base', document: '{"a":"b c"}' }]);
    expect(signedWith(GetRolePolicyCommand)).toEqual(['ASIAKILLER']);
  });
});
