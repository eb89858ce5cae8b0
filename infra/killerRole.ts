import { Duration } from 'aws-cdk-lib';
import {
  ArnPrincipal,
  type CfnRole,
  CompositePrincipal,
  PolicyDocument,
  PolicyStatement,
  Role,
} from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

interface KillerRoleProps {
  readonly roleName: string;
  readonly description: string;
  /** The broker's ending functions' roles: the only principals it trusts. */
  readonly brokerRoleArns: readonly string[];
  /** The session name the broker always uses for it; the trust policy requires it. */
  readonly sessionName: string;
  /** Its one inline policy: everything it may do. */
  readonly policyName: string;
  readonly statement: PolicyStatement;
}

/**
 * A role the broker's ending functions assume to deny sessions where their own role cannot write
 * (a workload account's target roles, the organization's kill SCP). It trusts only those
 * functions, and only with the broker's session name; its one inline policy is all it may do.
 */
const killerRole = (scope: Construct, id: string, props: KillerRoleProps): Role => {
  const brokers = props.brokerRoleArns.map((arn) => new ArnPrincipal(arn));
  const role = new Role(scope, id, {
    roleName: props.roleName,
    description: props.description,
    // The trust policy is written below, with its condition.
    assumedBy: new CompositePrincipal(...brokers),
    maxSessionDuration: Duration.hours(1),
    inlinePolicies: { [props.policyName]: new PolicyDocument({ statements: [props.statement] }) },
  });
  const trust = new PolicyDocument({
    statements: [
      new PolicyStatement({
        sid: 'BrokerEndsSessions',
        principals: brokers,
        actions: ['sts:AssumeRole'],
        conditions: { StringEquals: { 'sts:RoleSessionName': props.sessionName } },
      }),
    ],
  });
  (role.node.defaultChild as CfnRole).assumeRolePolicyDocument = trust;
  return role;
};

export { killerRole };
