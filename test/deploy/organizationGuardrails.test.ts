import { readFileSync } from 'node:fs';
import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderKillPolicy } from '../../functions/domain/sessionKill.js';
import { protectionPolicy, SCP_MAX_CHARS } from '../../infra/organization/guardrails.js';
import { synthOrganization } from './synthOrganization.js';
import { resolveIn } from './templateValues.js';

/**
 * What the session killer, the target roles' boundaries and the SCP mean, judged by an
 * independent IAM evaluator (@cloud-copilot/iam-simulate, AGPL: a devDependency only) on the
 * policies as synthesized — resolved for one workload account, as CloudFormation would.
 */
const WORKLOAD = '222222222222';
const BROKER = '111111111111';
const ENDING_ROLES = ['finishGrant', 'revokeGrant', 'ciDone', 'expire', 'sweep'].map(
  (name) => `arn:aws:iam::${BROKER}:role/JitBroker-${name}ServiceRole1A2B3C4D-5E6F7G8H9I0J`
);
const PARAMETERS = {
  BrokerVendRoleArns: [`arn:aws:iam::${BROKER}:role/JitBroker-vendCredentialsServiceRole-ABC`],
  BrokerCiVendRoleArns: [`arn:aws:iam::${BROKER}:role/JitBroker-ciCredentialsServiceRole-DEF`],
  BrokerEndingRoleArns: ENDING_ROLES,
  TargetIds: ['ou-abcd-11111111'],
};
const PROD_READ = `arn:aws:iam::${WORKLOAD}:role/jit/prod-read`;
const KILLER = `arn:aws:iam::${WORKLOAD}:role/jit-broker-session-killer`;
const ADMIN = `arn:aws:iam::${WORKLOAD}:role/Admin`;
const FULL_ACCESS = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;
let resources: Resources;
let scp: unknown;

beforeAll(async () => {
  const synth = await synthOrganization();
  const resolved = (name: 'JitWorkloadRoles' | 'JitGuardrails') => {
    const template = synth.artifact(name).template as { Resources: Resources };
    const logicalIds = Object.keys(template.Resources);
    return resolveIn(template.Resources, { account: WORKLOAD, parameters: PARAMETERS, logicalIds }) as Resources;
  };
  resources = resolved('JitWorkloadRoles');
  const guardrails = resolved('JitGuardrails');
  scp = Object.values(guardrails).find((r) => r.Type === 'AWS::Organizations::Policy')?.Properties.Content;
}, 120_000);

const roleNamed = (name: string) => {
  const role = Object.values(resources).find((r) => r.Type === 'AWS::IAM::Role' && r.Properties.RoleName === name);
  if (role === undefined) throw new Error(`no role ${name} in the workload template`);
  return role.Properties;
};
const killerPolicy = () =>
  (roleNamed('jit-broker-session-killer').Policies as { PolicyDocument: unknown }[])[0]?.PolicyDocument;
/** prod-read's ceiling: the managed policy that is both its permissions and its boundary. */
const prodReadCeiling = () => {
  const policy = Object.values(resources).find(
    (r) => r.Type === 'AWS::IAM::ManagedPolicy' && String(r.Properties.Description).includes('role/jit/prod-read')
  );
  if (policy === undefined) throw new Error('no ceiling for prod-read');
  return policy.Properties.PolicyDocument;
};

const decide = async (
  request: Simulation['request'],
  policies: { identity: unknown[]; boundary?: unknown; trust?: unknown; session?: unknown; withScp?: boolean }
): Promise<string> => {
  const result = await runSimulation(
    {
      request,
      identityPolicies: policies.identity.map((policy, i) => ({ name: `p${i}`, policy })),
      ...(policies.boundary ? { permissionBoundaryPolicies: [{ name: 'boundary', policy: policies.boundary }] } : {}),
      ...(policies.trust ? { resourcePolicy: policies.trust } : {}),
      ...(policies.session ? { sessionPolicy: policies.session } : {}),
      serviceControlPolicies:
        policies.withScp === false
          ? []
          : // Every level of the organization allows (FullAWSAccess, as AWS attaches by default); the
            // workload OU carries the broker's SCP too.
            [
              { orgIdentifier: 'r-root', policies: [{ name: 'FullAWSAccess', policy: FULL_ACCESS }] },
              {
                orgIdentifier: 'ou-abcd-11111111',
                policies: [
                  { name: 'FullAWSAccess', policy: FULL_ACCESS },
                  { name: 'jit-broker', policy: scp },
                ],
              },
              { orgIdentifier: WORKLOAD, policies: [{ name: 'FullAWSAccess', policy: FULL_ACCESS }] },
            ],
      resourceControlPolicies: [],
    },
    {}
  );
  if (result.resultType === 'error') throw new Error(JSON.stringify(result.errors));
  return result.overallResult;
};

/** A call by a role session of `roleArn` in the workload account, on an IAM role. */
const onRole = (
  callerRole: string,
  action: string,
  target: string,
  context: Record<string, string | string[]> = {}
): Simulation['request'] => ({
  principal: `${callerRole.replace(':iam::', ':sts::').replace(':role/', ':assumed-role/')}/session`,
  action,
  resource: { resource: target, accountId: target.split(':')[4] as string },
  contextVariables: { 'aws:PrincipalArn': callerRole, ...context },
});
const MANAGED = { 'iam:ResourceTag/jit-broker:managed': 'true' };
const BOUNDED = { 'iam:PermissionsBoundary': `arn:aws:iam::${WORKLOAD}:policy/prodread-ceiling` };

describe('the service control policy', () => {
  it.each([
    ['write the kill policy of a managed role', 'iam:PutRolePolicy', PROD_READ, { ...MANAGED, ...BOUNDED }],
    ['delete the kill policy of a managed role', 'iam:DeleteRolePolicy', PROD_READ, { ...MANAGED, ...BOUNDED }],
    ['remove the boundary of a managed role', 'iam:DeleteRolePermissionsBoundary', PROD_READ, MANAGED],
    ['replace the boundary of a managed role', 'iam:PutRolePermissionsBoundary', PROD_READ, MANAGED],
    ['untag a managed role', 'iam:UntagRole', PROD_READ, { ...MANAGED, 'aws:TagKeys': ['jit-broker:managed'] }],
    [
      'tag their own role as managed',
      'iam:TagRole',
      `arn:aws:iam::${WORKLOAD}:role/mine`,
      { 'aws:TagKeys': ['jit-broker:managed'], 'aws:RequestTag/jit-broker:managed': 'true' },
    ],
    [
      'create a role tagged managed',
      'iam:CreateRole',
      `arn:aws:iam::${WORKLOAD}:role/mine`,
      { 'aws:TagKeys': ['jit-broker:managed'] },
    ],
    ['rewrite the session killer’s trust', 'iam:UpdateAssumeRolePolicy', KILLER, {}],
    ['widen the session killer', 'iam:AttachRolePolicy', KILLER, {}],
    ['delete the session killer', 'iam:DeleteRole', KILLER, {}],
    ['assume the session killer', 'sts:AssumeRole', KILLER, {}],
  ])('stops an administrator of a member account who tries to %s', async (_what, action, target, context) => {
    expect(await decide(onRole(ADMIN, action, target, context), { identity: [FULL_ACCESS] })).toBe('ExplicitlyDenied');
    // The same call without the SCP: only the SCP stops it.
    expect(await decide(onRole(ADMIN, action, target, context), { identity: [FULL_ACCESS], withScp: false })).toBe(
      'Allowed'
    );
  });

  it.each([
    ['write an inline policy of an unmanaged role', 'iam:PutRolePolicy', `arn:aws:iam::${WORKLOAD}:role/app`, {}],
    ['tag a managed role with another key', 'iam:TagRole', PROD_READ, { ...MANAGED, 'aws:TagKeys': ['team'] }],
    ['read the kill policy', 'iam:GetRolePolicy', PROD_READ, MANAGED],
  ])('leaves an administrator free to %s', async (_what, action, target, context) => {
    expect(await decide(onRole(ADMIN, action, target, context), { identity: [FULL_ACCESS] })).toBe('Allowed');
  });

  it('lets the session killer write the kill policy of a managed, bounded catalog role', async () => {
    const request = onRole(KILLER, 'iam:PutRolePolicy', PROD_READ, { ...MANAGED, ...BOUNDED });
    expect(await decide(request, { identity: [killerPolicy()] })).toBe('Allowed');
  });

  it("lets the broker's ending functions, and only them, assume the session killer", async () => {
    const trust = roleNamed('jit-broker-session-killer').AssumeRolePolicyDocument;
    const ending = ENDING_ROLES[0] as string;
    const assume = (caller: string) => ({
      ...onRole(caller, 'sts:AssumeRole', KILLER, { 'sts:RoleSessionName': 'jit-broker-kill' }),
    });
    const assumeAny = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }],
    };
    expect(await decide(assume(ending), { identity: [assumeAny], trust })).toBe('Allowed');
    expect(await decide(assume(ADMIN), { identity: [FULL_ACCESS], trust })).toBe('ExplicitlyDenied');
  });

  it('is the same whether rendered by the stack (parameters) or by protectionPolicy (docs, tests)', () => {
    expect(scp).toEqual(protectionPolicy({ brokerEndingRoleArns: ENDING_ROLES }));
  });

  it(`fits the ${SCP_MAX_CHARS}-character limit of a service control policy`, () => {
    const exempt = [
      'arn:aws:iam::*:role/platform-pipeline-deployer',
      'arn:aws:iam::*:role/OrganizationAccountAccessRole',
    ];
    const size = JSON.stringify(
      protectionPolicy({ brokerEndingRoleArns: ENDING_ROLES, exemptPrincipalArns: exempt })
    ).length;
    expect(size).toBeLessThanOrEqual(SCP_MAX_CHARS);
  });

  it('is documented exactly as the code renders it (docs/organization-scp.json)', () => {
    const documented = JSON.parse(readFileSync('docs/organization-scp.json', 'utf8'));
    expect(documented).toEqual(protectionPolicy({ brokerEndingRoleArns: ENDING_ROLES }));
  });
});

describe('the session killer', () => {
  const write = (target: string, context: Record<string, string | string[]>) =>
    decide(onRole(KILLER, 'iam:PutRolePolicy', target, context), { identity: [killerPolicy()] });

  it('may not write to a catalog role that has no permissions boundary', async () => {
    expect(await write(PROD_READ, MANAGED)).toBe('ImplicitlyDenied');
  });

  it('may not write to a catalog role that is not tagged managed', async () => {
    expect(await write(PROD_READ, BOUNDED)).toBe('ImplicitlyDenied');
  });

  it('may not write to a managed, bounded role the catalog does not name', async () => {
    expect(await write(`arn:aws:iam::${WORKLOAD}:role/jit/not-in-catalog`, { ...MANAGED, ...BOUNDED })).toBe(
      'ImplicitlyDenied'
    );
  });

  it("may not write to the same role name in another account (it is pinned to its stack's account)", async () => {
    expect(await write(PROD_READ.replace(WORKLOAD, '333333333333'), { ...MANAGED, ...BOUNDED })).toBe(
      'ImplicitlyDenied'
    );
  });

  it('may read the inline policies of a managed catalog role, bounded or not', async () => {
    const read = onRole(KILLER, 'iam:GetRolePolicy', PROD_READ, MANAGED);
    expect(await decide(read, { identity: [killerPolicy()] })).toBe('Allowed');
  });
});

describe("a target role's permissions boundary", () => {
  const ENDED = 'g-01jendedgrant0000000000000';
  const LIVE = 'g-01jlivegrant00000000000000';
  const kill = renderKillPolicy(
    [
      {
        grantId: ENDED,
        roleArn: PROD_READ,
        sourceIdentity: ENDED,
        endedAt: '2026-12-01T09:55:00Z',
        until: '2026-12-01T11:00:00Z',
      },
    ],
    new Date('2026-12-01T10:00:00Z'),
    0
  );
  /** What a broker that was made to misbehave could write to the role: an Allow of everything. */
  const injected = FULL_ACCESS;
  const asProdRead = (grant: string, action: string, resource: string): Simulation['request'] => ({
    principal: `arn:aws:sts::${WORKLOAD}:assumed-role/prod-read/alice.${grant}`,
    action,
    resource: { resource, accountId: WORKLOAD },
    contextVariables: { 'aws:SourceIdentity': grant, 'aws:PrincipalArn': PROD_READ },
  });
  const policies = () => ({
    identity: [prodReadCeiling(), injected, ...(kill.kind === 'none' ? [] : [JSON.parse(kill.document)])],
    boundary: prodReadCeiling(),
  });

  it('keeps an injected Allow within the ceiling: no deletes, no IAM', async () => {
    expect(await decide(asProdRead(LIVE, 's3:DeleteObject', 'arn:aws:s3:::example-data/report.csv'), policies())).toBe(
      'ImplicitlyDenied'
    );
    expect(await decide(asProdRead(LIVE, 'iam:CreateUser', `arn:aws:iam::${WORKLOAD}:user/backdoor`), policies())).toBe(
      'ImplicitlyDenied'
    );
  });

  it('without the boundary, the same injected Allow would reach beyond the ceiling (what the boundary is for)', async () => {
    const { boundary: _, ...unbounded } = policies();
    expect(await decide(asProdRead(LIVE, 's3:DeleteObject', 'arn:aws:s3:::example-data/report.csv'), unbounded)).toBe(
      'Allowed'
    );
  });

  it('still allows what the ceiling offers, and the kill (deny-only) still ends the ended grant', async () => {
    const read = (grant: string) => asProdRead(grant, 's3:GetObject', 'arn:aws:s3:::example-data/report.csv');
    expect(kill.kind).toBe('per-grant');
    expect(await decide(read(LIVE), policies())).toBe('Allowed');
    expect(await decide(read(ENDED), policies())).toBe('ExplicitlyDenied');
  });
});
