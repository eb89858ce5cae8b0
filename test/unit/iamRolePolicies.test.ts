import {
  DeleteRolePolicyCommand,
  GetRolePolicyCommand,
  IAMClient,
  IAMServiceException,
  LimitExceededException,
  ListRolePoliciesCommand,
  MalformedPolicyDocumentException,
  NoSuchEntityException,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { IamRolePolicies, roleArnParts } from '../../functions/adapters/aws/iamRolePolicies.js';
import { BrokerError, ConflictError, ServiceUnavailableError } from '../../functions/domain/errors.js';
import { offlineClientConfig, rejectionOf, serviceFault, socketError } from '../helpers/awsFaults.js';

const iam = mockClient(IAMClient);
const policies = new IamRolePolicies(new IAMClient(offlineClientConfig));

const ROLE_ARN = 'arn:aws:iam::123456789012:role/jit/prod-read';
const DENY = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}';
/** DENY as IAM returns it: URL-encoded, `*` included (RFC 3986). */
const DENY_ENCODED =
  '%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Deny%22%2C%22Action%22%3A%22%2A%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D';
const ALLOW =
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::b/a b"}]}';

const noSuchEntity = (message: string) => new NoSuchEntityException({ message, $metadata: { httpStatusCode: 404 } });
const roleNotFound = noSuchEntity('The role with name prod-read cannot be found.');
const policyNotFound = noSuchEntity('The role policy with name jit-revocations cannot be found.');

beforeEach(() => {
  iam.reset();
});

afterAll(() => {
  iam.restore();
});

describe('roleArnParts', () => {
  it.each([
    ['arn:aws:iam::123456789012:role/jit/prod-read', '/jit/', 'prod-read'],
    ['arn:aws:iam::123456789012:role/prod-read', '/', 'prod-read'],
    ['arn:aws:iam::123456789012:role/a/b/c/deep-role', '/a/b/c/', 'deep-role'],
    ['arn:aws-cn:iam::123456789012:role/jit/cn-read', '/jit/', 'cn-read'],
  ])('splits %s into path %s and name %s', (arn, path, name) => {
    expect(roleArnParts(arn)).toEqual({ path, name });
  });

  it.each([
    'arn:aws:iam::123456789012:user/alice',
    'arn:aws:iam::123456789012:role/jit/',
    'arn:aws:sts::123456789012:assumed-role/prod-read/alice',
    'prod-read',
  ])('rejects %s, which names no role', (arn) => {
    expect(() => roleArnParts(arn)).toThrow(`${arn} is not an IAM role ARN`);
  });
});

describe('IamRolePolicies.list', () => {
  it('follows the Marker across pages and reads every policy, URL-decoded', async () => {
    iam
      .on(ListRolePoliciesCommand)
      .resolvesOnce({ PolicyNames: ['base', 'jit-revocations'], IsTruncated: true, Marker: 'page-2' })
      .resolvesOnce({ PolicyNames: ['extra'], IsTruncated: false });
    iam.on(GetRolePolicyCommand, { PolicyName: 'base' }).resolves({ PolicyDocument: encodeURIComponent(ALLOW) });
    iam.on(GetRolePolicyCommand, { PolicyName: 'jit-revocations' }).resolves({ PolicyDocument: DENY_ENCODED });
    iam.on(GetRolePolicyCommand, { PolicyName: 'extra' }).resolves({ PolicyDocument: encodeURIComponent('{}') });

    expect(await policies.list(ROLE_ARN)).toEqual([
      { name: 'base', document: ALLOW },
      { name: 'jit-revocations', document: DENY },
      { name: 'extra', document: '{}' },
    ]);
    expect(iam.commandCalls(ListRolePoliciesCommand).map((c) => c.args[0].input)).toEqual([
      { RoleName: 'prod-read' },
      { RoleName: 'prod-read', Marker: 'page-2' },
    ]);
    expect(iam.commandCalls(GetRolePolicyCommand).map((c) => c.args[0].input)).toEqual([
      { RoleName: 'prod-read', PolicyName: 'base' },
      { RoleName: 'prod-read', PolicyName: 'jit-revocations' },
      { RoleName: 'prod-read', PolicyName: 'extra' },
    ]);
  });

  it('returns nothing for a role without inline policies', async () => {
    iam.on(ListRolePoliciesCommand).resolves({ PolicyNames: [], IsTruncated: false });
    expect(await policies.list(ROLE_ARN)).toEqual([]);
    expect(iam.commandCalls(GetRolePolicyCommand)).toHaveLength(0);
  });

  it('leaves out a policy deleted between the listing and its read', async () => {
    iam.on(ListRolePoliciesCommand).resolves({ PolicyNames: ['gone', 'jit-revocations'] });
    iam.on(GetRolePolicyCommand, { PolicyName: 'gone' }).rejects(policyNotFound);
    iam.on(GetRolePolicyCommand, { PolicyName: 'jit-revocations' }).resolves({ PolicyDocument: DENY_ENCODED });
    expect(await policies.list(ROLE_ARN)).toEqual([{ name: 'jit-revocations', document: DENY }]);
  });

  it('reports a missing role as TARGET_ROLE_MISSING', async () => {
    iam.on(ListRolePoliciesCommand).rejects(roleNotFound);
    const error = await rejectionOf(policies.list(ROLE_ARN));
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({ code: 'TARGET_ROLE_MISSING', cause: roleNotFound });
    expect((error as Error).message).toContain(ROLE_ARN);
  });
});

describe('IamRolePolicies.put', () => {
  it('writes the document under the role name', async () => {
    iam.on(PutRolePolicyCommand).resolves({});
    await policies.put(ROLE_ARN, { name: 'jit-revocations', document: DENY });
    expect(iam.commandCalls(PutRolePolicyCommand).map((c) => c.args[0].input)).toEqual([
      { RoleName: 'prod-read', PolicyName: 'jit-revocations', PolicyDocument: DENY },
    ]);
  });

  it('reports a missing role as TARGET_ROLE_MISSING', async () => {
    iam.on(PutRolePolicyCommand).rejects(roleNotFound);
    const error = await rejectionOf(policies.put(ROLE_ARN, { name: 'jit-revocations', document: DENY }));
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({ code: 'TARGET_ROLE_MISSING' });
    expect((error as Error).message).toContain(ROLE_ARN);
  });

  it("reports IAM's LimitExceeded as INLINE_POLICY_BUDGET, naming the role and policy", async () => {
    const fault = new LimitExceededException({
      message: 'Maximum policy size of 10240 bytes exceeded for role prod-read',
      $metadata: { httpStatusCode: 409 },
    });
    iam.on(PutRolePolicyCommand).rejects(fault);
    const error = await rejectionOf(policies.put(ROLE_ARN, { name: 'jit-revocations', document: DENY }));
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ code: 'INLINE_POLICY_BUDGET', cause: fault });
    expect((error as Error).message).toMatch(/jit-revocations on arn:aws:iam::123456789012:role\/jit\/prod-read/);
    expect((error as Error).message).toContain('10,240 characters');
  });

  it('reports a malformed document as a plain Error (a broker bug), not as the caller’s fault', async () => {
    const fault = new MalformedPolicyDocumentException({
      message: 'Syntax errors in policy.',
      $metadata: { httpStatusCode: 400 },
    });
    iam.on(PutRolePolicyCommand).rejects(fault);
    const error = await rejectionOf(policies.put(ROLE_ARN, { name: 'jit-revocations', document: '{' }));
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(BrokerError);
    expect(error).toMatchObject({ cause: fault });
    expect((error as Error).message).toContain('Syntax errors in policy.');
  });
});

describe('IamRolePolicies.delete', () => {
  it('deletes the policy by role name and policy name', async () => {
    iam.on(DeleteRolePolicyCommand).resolves({});
    await policies.delete(ROLE_ARN, 'jit-revocations');
    expect(iam.commandCalls(DeleteRolePolicyCommand).map((c) => c.args[0].input)).toEqual([
      { RoleName: 'prod-read', PolicyName: 'jit-revocations' },
    ]);
  });

  it.each([
    ['policy', policyNotFound],
    ['role', roleNotFound],
  ])('succeeds when the %s is already gone', async (_, fault) => {
    iam.on(DeleteRolePolicyCommand).rejects(fault);
    await expect(policies.delete(ROLE_ARN, 'jit-revocations')).resolves.toBeUndefined();
    expect(iam.commandCalls(DeleteRolePolicyCommand)).toHaveLength(1);
  });
});

describe('IamRolePolicies outages', () => {
  const calls = [
    ['list', () => iam.on(ListRolePoliciesCommand), () => policies.list(ROLE_ARN)],
    ['put', () => iam.on(PutRolePolicyCommand), () => policies.put(ROLE_ARN, { name: 'p', document: DENY })],
    ['delete', () => iam.on(DeleteRolePolicyCommand), () => policies.delete(ROLE_ARN, 'p')],
  ] as const;
  const faults = [
    ['Throttling', serviceFault(IAMServiceException, 'Throttling', 400), 'IAM_THROTTLED'],
    ['a refused connection', socketError('ECONNREFUSED'), 'IAM_UNREACHABLE'],
    ['a timed-out connection', socketError('ETIMEDOUT'), 'IAM_UNREACHABLE'],
    ['ServiceFailure', serviceFault(IAMServiceException, 'ServiceFailure', 500), 'IAM_UNAVAILABLE'],
  ] as const;

  it.each(
    calls.flatMap(([op, stub, call]) => faults.map(([what, fault, code]) => ({ op, stub, call, what, fault, code })))
  )('$op reports $what as $code', async ({ stub, call, fault, code }) => {
    stub().rejects(fault);
    const error = await rejectionOf(call());
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({ code, cause: fault });
  });

  it('re-throws an error it does not know unchanged', async () => {
    const fault = serviceFault(IAMServiceException, 'UnmodifiableEntity', 400);
    iam.on(PutRolePolicyCommand).rejects(fault);
    expect(await rejectionOf(policies.put(ROLE_ARN, { name: 'p', document: DENY }))).toBe(fault);
  });
});
