import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { JitSessionKiller, sessionKillerArns } from '../../infra/sessionKiller.js';
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
  new JitTargetRole(stack, 'ProdRead', { roleName: 'prod-read', brokerRoleArns: ['arn:aws:iam::111111111111:role/V'] });
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

  it('may only read and write inline policies of roles tagged as managed by the broker', () => {
    expect(role.ManagedPolicyArns).toBeUndefined();
    expect(role.Policies).toEqual([
      {
        PolicyName: 'KillPolicies',
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'KillPoliciesOnManagedRoles',
              Effect: 'Allow',
              Action: ['iam:ListRolePolicies', 'iam:GetRolePolicy', 'iam:PutRolePolicy', 'iam:DeleteRolePolicy'],
              Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::222222222222:role/*']] },
              Condition: { StringEquals: { 'iam:ResourceTag/jit-broker:managed': 'true' } },
            },
          ],
        },
      },
    ]);
    expect(template.findResources('AWS::IAM::Policy')).toEqual({});
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
