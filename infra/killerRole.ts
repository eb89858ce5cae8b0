import { Duration } from 'aws-cdk-lib';
import { type CfnRole, PolicyDocument, type PolicyStatement, Role } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { assertBrokers, awsPrincipal, placeholderPrincipal } from './targetRole.js';

interface KillerRoleProps {
  /** The construct it belongs to, as errors name it (`JitSessionKiller`). */
  readonly owner: string;
  readonly roleName: string;
  readonly description: string;
  /**
   * The broker's ending functions' roles: the only principals it trusts (literal ARNs, or a
   * CommaDelimitedList parameter's `valueAsList` in a template deployed by a StackSet).
   */
  readonly brokerRoleArns: readonly string[];
  /** The session name the broker always uses for it; the trust policy requires it. */
  readonly sessionName: string;
  /** Its one inline policy: everything it may do. */
  readonly policyName: string;
  readonly statements: readonly PolicyStatement[];
}

/**
 * A role the broker's ending functions assume to deny sessions where their own role cannot write
 * (a workload account's target roles, the organization's kill SCP). It trusts only those
 * functions, and only with the broker's session name; its one inline policy is all it may do.
 */
const killerRole = (scope: Construct, id: string, props: KillerRoleProps): Role => {
  assertBrokers(props.owner, props.brokerRoleArns);
  const role = new Role(scope, id, {
    roleName: props.roleName,
    description: props.description,
    // The trust policy is written below, as JSON, with its condition (see awsPrincipal).
    assumedBy: placeholderPrincipal(props.brokerRoleArns),
    maxSessionDuration: Duration.hours(1),
    inlinePolicies: { [props.policyName]: new PolicyDocument({ statements: [...props.statements] }) },
  });
  (role.node.defaultChild as CfnRole).assumeRolePolicyDocument = {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'BrokerEndsSessions',
        Effect: 'Allow',
        Principal: awsPrincipal(props.brokerRoleArns),
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'sts:RoleSessionName': props.sessionName } },
      },
    ],
  };
  return role;
};

export { killerRole };
