import { CfnParameter, Fn, Stack, Token } from 'aws-cdk-lib';
import { CfnPolicy } from 'aws-cdk-lib/aws-organizations';
import type { Construct } from 'constructs';
import { DEFAULT_SESSION_KILLER_ROLE_NAME } from '../../functions/adapters/aws/crossAccountRolePolicies.js';
import { KILL_POLICY_NAME } from '../../functions/domain/sessionKill.js';
import { MANAGED_TAG } from '../targetRole.js';
import { accountAgnostic } from './accountAgnostic.js';

/** Organizations refuses a service control policy longer than this (characters). */
const SCP_MAX_CHARS = 5120;

interface ProtectionPolicyOptions {
  /**
   * The broker's ending functions' roles (output `SessionKillerTrustedRoleArns`): they change the
   * kill policy of target roles in the broker's own account, and are the only principals that may
   * assume a session killer. A list token (CommaDelimitedList parameter) is accepted.
   */
  readonly brokerEndingRoleArns: readonly string[];
  /** Default `jit-broker-session-killer`, in any account. */
  readonly killerRoleName?: string;
  /**
   * Principals that may still manage target roles and killers (for example a deployment pipeline's
   * role). Service-managed StackSets need no entry: their service-linked role is not subject to
   * SCPs. Default none.
   */
  readonly exemptPrincipalArns?: readonly string[];
}

/** `[...a, ...b]` for lists that may be tokens (a CommaDelimitedList parameter's value). */
const concatLists = (...lists: (readonly string[])[]): string[] =>
  lists.some((l) => Token.isUnresolved(l))
    ? Fn.split(
        ',',
        Fn.join(
          ',',
          lists.filter((l) => l.length > 0).map((l) => Fn.join(',', [...l]))
        )
      )
    : lists.flat();

/**
 * A service control policy for the workload accounts' OUs that keeps the session kill in force:
 *
 * - the inline policies of roles tagged `jit-broker:managed=true` — among them the kill policy
 *   `jit-broker-session-kill` — can be written or deleted only by the session killers and the
 *   broker's ending functions (IAM has no condition key for an inline policy's name, so all of a
 *   managed role's inline policies are protected: put the role's own permissions in managed policies);
 * - their permissions boundary cannot be changed or removed (it is what bounds anything written there);
 * - the `jit-broker:managed` tag cannot be added to, or removed from, any role, nor given at creation;
 * - the session killer role cannot be created, changed or deleted, and only the broker's ending
 *   functions may assume it.
 *
 * Exempt everywhere: `exemptPrincipalArns`. SCPs never apply to the management account nor to
 * service-linked roles (so a service-managed StackSet still deploys and updates the roles).
 */
const protectionPolicy = (options: ProtectionPolicyOptions) => {
  const killerRoleName = options.killerRoleName ?? DEFAULT_SESSION_KILLER_ROLE_NAME;
  const killerArn = `arn:*:iam::*:role/${killerRoleName}`;
  const exempt = [...(options.exemptPrincipalArns ?? [])];
  const notExempt = exempt.length === 0 ? {} : { ArnNotLike: { 'aws:PrincipalArn': exempt } };
  const managed = { StringEquals: { [`iam:ResourceTag/${MANAGED_TAG.key}`]: MANAGED_TAG.value } };
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'OnlyKillersWriteInlinePoliciesOfManagedRoles',
        Effect: 'Deny',
        Action: ['iam:PutRolePolicy', 'iam:DeleteRolePolicy'],
        Resource: 'arn:*:iam::*:role/*',
        Condition: {
          ...managed,
          ArnNotLike: { 'aws:PrincipalArn': concatLists([killerArn], options.brokerEndingRoleArns, exempt) },
        },
      },
      {
        Sid: 'KeepBoundariesOfManagedRoles',
        Effect: 'Deny',
        Action: ['iam:PutRolePermissionsBoundary', 'iam:DeleteRolePermissionsBoundary'],
        Resource: 'arn:*:iam::*:role/*',
        Condition: { ...managed, ...notExempt },
      },
      {
        Sid: 'KeepManagedTag',
        Effect: 'Deny',
        Action: ['iam:TagRole', 'iam:UntagRole', 'iam:CreateRole'],
        Resource: '*',
        Condition: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': [MANAGED_TAG.key] }, ...notExempt },
      },
      {
        Sid: 'KeepSessionKiller',
        Effect: 'Deny',
        Action: [
          'iam:CreateRole',
          'iam:DeleteRole',
          'iam:UpdateRole',
          'iam:UpdateAssumeRolePolicy',
          'iam:PutRolePolicy',
          'iam:DeleteRolePolicy',
          'iam:AttachRolePolicy',
          'iam:DetachRolePolicy',
          'iam:PutRolePermissionsBoundary',
          'iam:DeleteRolePermissionsBoundary',
          'iam:TagRole',
          'iam:UntagRole',
        ],
        Resource: killerArn,
        ...(exempt.length === 0 ? {} : { Condition: notExempt }),
      },
      {
        Sid: 'OnlyBrokerAssumesSessionKiller',
        Effect: 'Deny',
        Action: 'sts:AssumeRole',
        Resource: killerArn,
        Condition: { ArnNotLike: { 'aws:PrincipalArn': concatLists(options.brokerEndingRoleArns, exempt) } },
      },
    ],
  };
};

/**
 * The SCP as a stack for the organization's management account (or a delegated policy
 * administrator): one AWS::Organizations::Policy attached to the `TargetIds` parameter (the
 * workload OUs, or accounts). Account-agnostic like the workload templates: the broker's ending
 * roles come in as the `BrokerEndingRoleArns` parameter.
 */
class JitGuardrailsStack extends Stack {
  constructor(scope: Construct, id: string, props: { killerRoleName?: string } = {}) {
    super(
      scope,
      id,
      accountAgnostic(id, 'jit-broker: service control policy that keeps kill policies, boundaries and killers intact')
    );
    const ending = new CfnParameter(this, 'BrokerEndingRoleArns', {
      type: 'CommaDelimitedList',
      description: "SessionKillerTrustedRoleArns output of the broker's JitBroker stack (comma-separated)",
    }).valueAsList;
    const targets = new CfnParameter(this, 'TargetIds', {
      type: 'CommaDelimitedList',
      description: 'The OUs (ou-…) or accounts the policy is attached to: those holding target roles',
    }).valueAsList;
    new CfnPolicy(this, 'ProtectSessionKill', {
      name: 'jit-broker-protect-session-kill',
      description: `Keeps ${KILL_POLICY_NAME}, target-role boundaries, the ${MANAGED_TAG.key} tag and the session killer intact`,
      type: 'SERVICE_CONTROL_POLICY',
      content: protectionPolicy({
        brokerEndingRoleArns: ending,
        ...(props.killerRoleName ? { killerRoleName: props.killerRoleName } : {}),
      }),
      targetIds: targets,
    });
  }
}

export type { ProtectionPolicyOptions };
export { JitGuardrailsStack, protectionPolicy, SCP_MAX_CHARS };
