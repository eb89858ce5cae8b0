import { App, CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ManagedPolicy } from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { ceilingPolicy, JitTargetRole } from '../../infra/targetRole.js';

const BROKER = 'arn:aws:iam::111111111111:role/JitBroker-vendCredentialsRole-ABC';

describe('JitTargetRole', () => {
  const stack = new Stack(new App(), 'Workload', { env: { account: '222222222222', region: 'eu-west-1' } });
  const boundary = ManagedPolicy.fromAwsManagedPolicyName('ReadOnlyAccess');
  new JitTargetRole(stack, 'ProdRead', {
    roleName: 'prod-read',
    brokerRoleArns: [BROKER],
    managedPolicies: [ManagedPolicy.fromAwsManagedPolicyName('ReadOnlyAccess')],
    permissionsBoundary: boundary,
  });
  const template = Template.fromStack(stack);
  const [role] = Object.values(template.findResources('AWS::IAM::Role')) as {
    Properties: {
      AssumeRolePolicyDocument: { Statement: { Action: unknown; Principal: unknown; Condition?: unknown }[] };
      Tags: { Key: string; Value: string }[];
      MaxSessionDuration: number;
      Path: string;
      ManagedPolicyArns: unknown[];
      PermissionsBoundary: unknown;
    };
  }[];

  it('trusts only the broker role, with a grant id as source identity and only the broker session tags', () => {
    expect(role?.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Sid: 'BrokerAssumesWithGrantIdentity',
        Effect: 'Allow',
        Principal: { AWS: BROKER },
        Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
        Condition: { StringLike: { 'sts:SourceIdentity': 'g-*' } },
      },
      {
        Sid: 'BrokerTagsSessionsWithGrant',
        Effect: 'Allow',
        Principal: { AWS: BROKER },
        Action: 'sts:TagSession',
        Condition: {
          'ForAllValues:StringEquals': {
            'aws:TagKeys': ['jit-grant-id', 'jit-requester', 'jit-role', 'jit-repository', 'jit-run'],
          },
        },
      },
    ]);
  });

  it('is tagged as managed by the broker, under /jit/, with a one-hour session limit', () => {
    expect(role?.Properties.Tags).toContainEqual({ Key: 'jit-broker:managed', Value: 'true' });
    expect(role?.Properties.Path).toBe('/jit/');
    expect(role?.Properties.MaxSessionDuration).toBe(Duration.hours(1).toSeconds());
  });

  it('carries the permissions the platform team gives it', () => {
    expect(JSON.stringify(role?.Properties.ManagedPolicyArns)).toContain(':iam::aws:policy/ReadOnlyAccess');
  });

  it('carries its permissions boundary', () => {
    expect(JSON.stringify(role?.Properties.PermissionsBoundary)).toContain(':iam::aws:policy/ReadOnlyAccess');
  });

  it('refuses to exist without a broker to trust', () => {
    expect(
      () => new JitTargetRole(new Stack(new App(), 'S'), 'R', { brokerRoleArns: [], permissionsBoundary: boundary })
    ).toThrow('JitTargetRole needs at least one broker role ARN');
  });

  it('refuses an output pasted whole (two ARNs in one string), saying to split it', () => {
    const pasted = `${BROKER},arn:aws:iam::111111111111:role/JitBroker-createGrant`;
    expect(
      () =>
        new JitTargetRole(new Stack(new App(), 'S'), 'R', { brokerRoleArns: [pasted], permissionsBoundary: boundary })
    ).toThrow("split it on ','");
  });

  it('refuses to exist without a permissions boundary (for callers without the type check)', () => {
    const props = { brokerRoleArns: [BROKER] } as unknown as ConstructorParameters<typeof JitTargetRole>[2];
    expect(() => new JitTargetRole(new Stack(new App(), 'S'), 'R', props)).toThrow(
      'JitTargetRole needs a permissionsBoundary'
    );
  });

  it("trusts a CommaDelimitedList parameter's roles when given its value (templates that name no account)", () => {
    const agnostic = new Stack(new App(), 'Agnostic');
    const brokers = new CfnParameter(agnostic, 'Brokers', { type: 'CommaDelimitedList' });
    const ceiling = ceilingPolicy(agnostic, 'Ceiling', { actions: ['s3:GetObject'], resources: ['*'] });
    new JitTargetRole(agnostic, 'R', { brokerRoleArns: brokers.valueAsList, permissionsBoundary: ceiling });
    const [trust] = Object.values(Template.fromStack(agnostic).findResources('AWS::IAM::Role')).map(
      (r) => (r as { Properties: { AssumeRolePolicyDocument: { Statement: { Principal: unknown }[] } } }).Properties
    );
    for (const statement of trust?.AssumeRolePolicyDocument.Statement ?? []) {
      expect(statement.Principal).toEqual({ AWS: { Ref: 'Brokers' } });
    }
  });
});
