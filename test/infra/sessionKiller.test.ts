import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ManagedPolicy } from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { JitSessionKiller, roleResourceName, sessionKillerArns } from '../../infra/sessionKiller.js';
import { JitTargetRole } from '../../infra/targetRole.js';

const ENDERS = ['finishGrant', 'revokeGrant', 'expire', 'sweep'].map(
  (name) => `arn:aws:iam::111111111111:role/JitBroker-${name}ServiceRole-ABC`
);

const workload = () => new Stack(new App(), 'Workload', { env: { account: '222222222222', region: 'eu-west-1' } });

interface RoleProperties {
  RoleName: string;
  AssumeRolePolicyDocument: { Statement: unknown[] };
  Policies: { PolicyName: string; PolicyDocument: { Statement: unknown[] } }[];
  Tags?: { Key: string; Value: string }[];
  ManagedPolicyArns?: unknown[];
}

describe('JitSessionKiller', () => {
  const stack = workload();
  const killer = new JitSessionKiller(stack, 'SessionKiller', { brokerRoleArns: ENDERS });
  new JitTargetRole(stack, 'ProdRead', {
    roleName: 'prod-read',
    brokerRoleArns: ['arn:aws:iam::111111111111:role/V'],
    permissionsBoundary: ManagedPolicy.fromAwsManagedPolicyName('ReadOnlyAccess'),
  });
  const template = Template.fromStack(stack);
  const roles = template.findResources('AWS::IAM::Role');
  const role = roles[stack.getLogicalId(killer.role.node.defaultChild as never)]?.Properties as RoleProperties;

  it('is named as the broker expects it in every workload account', () => {
    expect(role.RoleName).toBe('jit-broker-session-killer');
    expect(Object.keys(roles)).toHaveLength(2);
  });

  it("trusts only the broker's ending functions, and only with the broker's kill session name", () => {
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Sid: 'BrokerEndsSessions',
        Effect: 'Allow',
        Principal: { AWS: ENDERS },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'sts:RoleSessionName': 'jit-broker-kill' } },
      },
    ]);
  });

  it('may read inline policies of managed roles, and write them only on managed roles with a permissions boundary', () => {
    expect(role.ManagedPolicyArns).toBeUndefined();
    const anyRole = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::222222222222:role/*']] };
    expect(role.Policies).toEqual([
      {
        PolicyName: 'KillPolicies',
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'ReadInlinePoliciesOfManagedRoles',
              Effect: 'Allow',
              Action: ['iam:ListRolePolicies', 'iam:GetRolePolicy'],
              Resource: anyRole,
              Condition: { StringEquals: { 'iam:ResourceTag/jit-broker:managed': 'true' } },
            },
            {
              Sid: 'WriteKillPoliciesOnBoundedManagedRoles',
              Effect: 'Allow',
              Action: ['iam:PutRolePolicy', 'iam:DeleteRolePolicy'],
              Resource: anyRole,
              Condition: {
                StringEquals: { 'iam:ResourceTag/jit-broker:managed': 'true' },
                Null: { 'iam:PermissionsBoundary': 'false' },
              },
            },
          ],
        },
      },
    ]);
    expect(template.findResources('AWS::IAM::Policy')).toEqual({});
  });

  it("is pinned to the target roles it is given, in its own stack's account", () => {
    const pinned = workload();
    new JitSessionKiller(pinned, 'K', { brokerRoleArns: ENDERS, targetRoles: ['jit/prod-read', 'ops/deploy'] });
    const [properties] = Object.values(Template.fromStack(pinned).findResources('AWS::IAM::Role')).map(
      (r) => (r as { Properties: RoleProperties }).Properties
    );
    const statements = properties?.Policies[0]?.PolicyDocument.Statement as { Resource: unknown }[];
    const arn = (name: string) => ({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::222222222222:role/${name}`]],
    });
    for (const statement of statements) expect(statement.Resource).toEqual([arn('jit/prod-read'), arn('ops/deploy')]);
  });

  it('refuses an empty list of target roles (leave it out to mean every managed role)', () => {
    expect(() => new JitSessionKiller(workload(), 'K', { brokerRoleArns: ENDERS, targetRoles: [] })).toThrow(
      'JitSessionKiller targetRoles is empty'
    );
  });

  it('is not itself tagged as managed, so the broker can never change its own policies', () => {
    expect(role.Tags ?? []).not.toContainEqual({ Key: 'jit-broker:managed', Value: 'true' });
  });

  it('takes another name when the broker stack is given one', () => {
    const other = workload();
    new JitSessionKiller(other, 'K', { brokerRoleArns: ENDERS, roleName: 'ops-session-killer' });
    Template.fromStack(other).hasResourceProperties('AWS::IAM::Role', { RoleName: 'ops-session-killer' });
  });

  it('refuses to exist without a broker to trust', () => {
    expect(() => new JitSessionKiller(workload(), 'K', { brokerRoleArns: [] })).toThrow(
      'JitSessionKiller needs at least one broker role ARN'
    );
  });
});

describe('sessionKillerArns', () => {
  const catalog = [
    'arn:aws:iam::111111111111:role/jit/broker-local',
    'arn:aws:iam::333333333333:role/jit/b',
    'arn:aws:iam::222222222222:role/jit/a',
    'arn:aws:iam::222222222222:role/other/c',
    'arn:aws-cn:iam::444444444444:role/jit/d',
  ];

  it("names one killer per account of the catalog's roles, leaving out the broker's own", () => {
    expect(sessionKillerArns(catalog, '111111111111')).toEqual([
      'arn:aws-cn:iam::444444444444:role/jit-broker-session-killer',
      'arn:aws:iam::222222222222:role/jit-broker-session-killer',
      'arn:aws:iam::333333333333:role/jit-broker-session-killer',
    ]);
  });

  it("keeps every account when the broker's is not known at synth, and uses the configured name", () => {
    expect(sessionKillerArns(catalog.slice(0, 2), undefined, 'killer')).toEqual([
      'arn:aws:iam::111111111111:role/killer',
      'arn:aws:iam::333333333333:role/killer',
    ]);
  });

  it('names none when every role is in the broker account', () => {
    expect(sessionKillerArns(catalog.slice(0, 1), '111111111111')).toEqual([]);
  });
});

describe('roleResourceName', () => {
  it('takes path and name from a role ARN, without its account', () => {
    expect(roleResourceName('arn:aws:iam::222222222222:role/jit/prod-read')).toBe('jit/prod-read');
    expect(roleResourceName('arn:aws-cn:iam::444444444444:role/deploy')).toBe('deploy');
  });

  it('refuses what is not a role ARN', () => {
    expect(() => roleResourceName('arn:aws:iam::222222222222:user/alice')).toThrow('is not an IAM role ARN');
  });
});
