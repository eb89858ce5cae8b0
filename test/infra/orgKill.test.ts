import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { FUNCTION_ACCESS } from '../../infra/functionAccess.js';
import { JitOrgKiller } from '../../infra/orgKill.js';
import { synthBroker } from './synthBroker.js';

const POLICY_ARN = 'arn:aws:organizations::999999999999:policy/o-abcdefghij/service_control_policy/p-killscp01';
const KILLER_ARN = 'arn:aws:iam::999999999999:role/jit-broker-org-killer';
const ENDERS = ['finishGrant', 'revokeGrant', 'expire', 'sweep'].map(
  (name) => `arn:aws:iam::111111111111:role/JitBroker-${name}ServiceRole-ABC`
);

describe('JitOrgKiller (in the management account or a delegated administrator)', () => {
  const stack = new Stack(new App(), 'Management', { env: { account: '999999999999', region: 'us-east-1' } });
  const killer = new JitOrgKiller(stack, 'OrgKiller', { policyArn: POLICY_ARN, brokerRoleArns: ENDERS });
  const role = Template.fromStack(stack).findResources('AWS::IAM::Role')[
    stack.getLogicalId(killer.role.node.defaultChild as never)
  ]?.Properties as {
    RoleName: string;
    AssumeRolePolicyDocument: { Statement: unknown[] };
    Policies: { PolicyDocument: { Statement: unknown[] } }[];
  };

  it("trusts only the broker's ending functions, with the broker's org kill session name", () => {
    expect(role.RoleName).toBe('jit-broker-org-killer');
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Sid: 'BrokerEndsSessions',
        Effect: 'Allow',
        Principal: { AWS: ENDERS },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'sts:RoleSessionName': 'jit-broker-org-kill' } },
      },
    ]);
  });

  it('may only read and update the one kill SCP: no create, attach, detach or delete', () => {
    expect(role.Policies.map((p) => p.PolicyDocument.Statement)).toEqual([
      [
        {
          Sid: 'TheKillScpOnly',
          Effect: 'Allow',
          Action: ['organizations:DescribePolicy', 'organizations:UpdatePolicy'],
          Resource: POLICY_ARN,
        },
      ],
    ]);
  });

  it('refuses at synth anything but an SCP ARN', () => {
    const other = new Stack(new App(), 'Other');
    expect(() => new JitOrgKiller(other, 'K', { policyArn: 'p-killscp01', brokerRoleArns: ENDERS })).toThrow(
      /not a service control policy ARN/
    );
  });
});

describe('the broker app with the organization-wide kill on', async () => {
  const synth = await synthBroker({ orgKill: { policyArn: POLICY_ARN, killerRoleArn: KILLER_ARN } });
  const functions = synth.stateless.functions;
  const template = synth.template('JitBroker');
  const environmentOf = (name: string): Record<string, unknown> => {
    const fn = functions.get(name);
    const logicalId = synth.stateless.getLogicalId(fn?.node.defaultChild as never);
    return (template.toJSON().Resources[logicalId].Properties.Environment?.Variables ?? {}) as Record<string, unknown>;
  };
  const statementsOf = (name: string) => {
    const policy = functions.get(name)?.role?.node.tryFindChild('DefaultPolicy') as {
      node: { defaultChild?: unknown };
    };
    const logicalId = synth.stateless.getLogicalId(policy.node.defaultChild as never);
    return template.toJSON().Resources[logicalId].Properties.PolicyDocument.Statement as {
      Action: string | string[];
      Resource: unknown;
    }[];
  };
  const assumesOrgKiller = (name: string): boolean =>
    statementsOf(name).some(
      (s) => [s.Action].flat().includes('sts:AssumeRole') && [s.Resource].flat().includes(KILLER_ARN)
    );
  const enders = [...functions.keys()].filter((name) => (FUNCTION_ACCESS[name] ?? []).includes('killSessions'));

  it('passes cdk-nag with no unacknowledged finding', () => {
    expect(synth.validationReport.pluginReports.flatMap((r) => r.violations)).toEqual([]);
  });

  it('lets every ending function make the kill renderer’s table calls: leases, batched reads, marks, prunes', () => {
    for (const name of enders) {
      const actions = statementsOf(name).flatMap((s) => [s.Action].flat());
      expect(actions, name).toEqual(
        expect.arrayContaining([
          'dynamodb:PutItem',
          'dynamodb:BatchGetItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
        ])
      );
    }
  });

  it('lets exactly the ending functions assume the org killer, and tells them which SCP to write', () => {
    expect(enders.sort()).toEqual(['ciDone', 'expire', 'finishGrant', 'recordActivity', 'revokeGrant', 'sweep']);
    for (const name of functions.keys()) {
      const ends = enders.includes(name);
      expect(assumesOrgKiller(name), name).toBe(ends);
      expect(environmentOf(name).ORG_KILL_POLICY_ID, name).toBe(ends ? 'p-killscp01' : undefined);
      expect(environmentOf(name).ORG_KILLER_ROLE_ARN, name).toBe(ends ? KILLER_ARN : undefined);
    }
  });
});
