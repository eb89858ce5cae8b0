import { describe, expect, it } from 'vitest';
import { iamDataActionCatalog } from '../../functions/adapters/iamDataActionCatalog.js';
import { narrowScope } from '../../functions/app/narrowScope.js';
import type { CatalogRole, ScopeCeiling } from '../../functions/domain/catalog.js';
import type { TaskScope } from '../../functions/domain/grant.js';
import { simulatedDecision } from '../helpers/iamSimulation.js';

/**
 * What the rendered session policies mean, judged by an independent IAM evaluator
 * (@cloud-copilot/iam-simulate, AGPL: a devDependency used only here). The evaluator fills in no
 * context keys, so every request names the ones its conditions need.
 */
const ACCOUNT = '123456789012';
const PRINCIPAL = `arn:aws:sts::${ACCOUNT}:assumed-role/data-reader/alice.g-01jtask`;
const CEILING: ScopeCeiling = { actions: ['s3:*'], resources: ['arn:aws:s3:::example-*'] };
const IN_REGION = { 'aws:RequestedRegion': 'us-east-1', 'aws:SourceIdentity': 'g-01jtask' };

const ROLE: CatalogRole = {
  id: 'data-reader',
  description: 'reads example data',
  roleArn: `arn:aws:iam::${ACCOUNT}:role/data-reader`,
  accountId: ACCOUNT,
  maxDurationSeconds: 3600,
  scopeCeiling: CEILING,
};

const allowing = (actions: readonly string[], resources: readonly string[]) => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: actions, Resource: resources }],
});

/** The role's own permissions: broader than any task, so whatever is denied is denied by the session policy. */
const IDENTITY_POLICIES = [
  ['everything', allowing(['*'], ['*'])],
  ['its ceiling', allowing(CEILING.actions, CEILING.resources)],
] as const;

const catalog = iamDataActionCatalog();
const sessionPolicyFor = async (scope: TaskScope): Promise<unknown> =>
  JSON.parse((await narrowScope(catalog, ROLE, scope)).sessionPolicy);

/** The evaluator's overall decision for one request by the task's session. */
const decide = (
  request: { action: string; resource: string; context?: Record<string, string> },
  policies: { identity: unknown; session: unknown }
): Promise<string> =>
  simulatedDecision(
    { principal: PRINCIPAL, accountId: ACCOUNT, ...request, context: request.context ?? IN_REGION },
    policies
  );

describe.each(IDENTITY_POLICIES)('the session policy of a role allowing %s', (_name, identity) => {
  const readOneBucket: TaskScope = { actions: ['s3:GetObject'], resources: ['arn:aws:s3:::example-bucket/*'] };

  it.each([
    ['s3:GetObject', 'arn:aws:s3:::example-bucket/reports/q3.csv', 'Allowed'],
    ['s3:PutObject', 'arn:aws:s3:::example-bucket/reports/q3.csv', 'ImplicitlyDenied'],
    ['s3:DeleteObject', 'arn:aws:s3:::example-bucket/reports/q3.csv', 'ImplicitlyDenied'],
    ['s3:GetObject', 'arn:aws:s3:::example-other/reports/q3.csv', 'ImplicitlyDenied'],
    ['s3:GetObject', 'arn:aws:s3:::example-bucket-2/reports/q3.csv', 'ImplicitlyDenied'],
    ['s3:ListBucket', 'arn:aws:s3:::example-bucket', 'ImplicitlyDenied'],
    ['iam:CreateUser', `arn:aws:iam::${ACCOUNT}:user/mallory`, 'ImplicitlyDenied'],
    ['ec2:RunInstances', `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/i-0123456789abcdef0`, 'ImplicitlyDenied'],
  ])('for s3:GetObject on example-bucket: %s on %s is %s', async (action, resource, expected) => {
    const session = await sessionPolicyFor(readOneBucket);
    expect(await decide({ action, resource }, { identity, session })).toBe(expected);
  });

  it('is what denies: without it the role may write to the same bucket', async () => {
    const write = { action: 's3:PutObject', resource: 'arn:aws:s3:::example-bucket/reports/q3.csv' };
    expect(await decide(write, { identity, session: undefined })).toBe('Allowed');
    expect(await decide(write, { identity, session: await sessionPolicyFor(readOneBucket) })).toBe('ImplicitlyDenied');
  });

  it.each([
    ['s3:GetObject', 'Allowed'],
    ['s3:GetObjectTagging', 'Allowed'],
    ['s3:PutObject', 'ImplicitlyDenied'],
    ['s3:DeleteObjectTagging', 'ImplicitlyDenied'],
  ])('for s3:Get* on example-bucket: %s is %s', async (action, expected) => {
    const session = await sessionPolicyFor({ actions: ['s3:Get*'], resources: ['arn:aws:s3:::example-bucket/*'] });
    const resource = 'arn:aws:s3:::example-bucket/reports/q3.csv';
    expect(await decide({ action, resource }, { identity, session })).toBe(expected);
  });

  it.each([
    ['the task region', 'Allowed', { 'aws:RequestedRegion': 'us-east-1' }],
    ['another region', 'ImplicitlyDenied', { 'aws:RequestedRegion': 'eu-west-1' }],
    ['no region at all', 'ImplicitlyDenied', {}],
  ])('for a task limited to us-east-1: a request in %s is %s', async (_case, expected, context) => {
    const session = await sessionPolicyFor({
      ...readOneBucket,
      conditions: { StringEquals: { 'aws:RequestedRegion': 'us-east-1' } },
    });
    const request = { action: 's3:GetObject', resource: 'arn:aws:s3:::example-bucket/reports/q3.csv', context };
    expect(await decide(request, { identity, session })).toBe(expected);
  });
});
