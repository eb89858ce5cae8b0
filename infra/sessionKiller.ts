import { Stack } from 'aws-cdk-lib';
import { PolicyStatement, type Role } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import {
  DEFAULT_SESSION_KILLER_ROLE_NAME,
  KILLER_SESSION_NAME,
  roleArnAccount,
} from '../functions/adapters/aws/crossAccountRolePolicies.js';
import { killerRole } from './killerRole.js';
import { MANAGED_TAG } from './targetRole.js';

/** The IAM calls the broker's kill policy renderer makes (functions/app/killSessions.ts). */
const KILL_ACTIONS = ['iam:ListRolePolicies', 'iam:GetRolePolicy', 'iam:PutRolePolicy', 'iam:DeleteRolePolicy'];

interface JitSessionKillerProps {
  /**
   * ARNs of the broker's roles that end grants (the finishGrant, revokeGrant, expire and sweep
   * functions' roles: output `SessionKillerTrustedRoleArns` of the broker's stack, comma-separated).
   * Only they may assume the killer role.
   */
  readonly brokerRoleArns: readonly string[];
  /**
   * Default `jit-broker-session-killer`: the broker derives the ARN from the account of each target
   * role, so the name must match the broker stack's `sessionKillerRoleName`.
   */
  readonly roleName?: string;
}

/**
 * The session killer of one workload account, for platform teams: IAM lets a role's inline
 * policies be changed only from inside its own account, so the broker assumes this role to write
 * (and prune) the kill policy on the account's target roles. Deploy it once per account that holds
 * JitTargetRoles, beside them.
 *
 * It trusts only the broker's ending functions, with the session name the broker uses, and may only
 * read and write the inline policies of roles tagged `jit-broker:managed=true` (the tag every
 * JitTargetRole carries) — it is not tagged itself, so the broker cannot change it.
 */
class JitSessionKiller extends Construct {
  readonly role: Role;

  constructor(scope: Construct, id: string, props: JitSessionKillerProps) {
    super(scope, id);
    if (props.brokerRoleArns.length === 0) throw new Error('JitSessionKiller needs at least one broker role ARN');
    this.role = killerRole(this, 'Role', {
      roleName: props.roleName ?? DEFAULT_SESSION_KILLER_ROLE_NAME,
      description: 'Assumed by jit-broker to deny the sessions of ended grants on target roles in this account',
      brokerRoleArns: props.brokerRoleArns,
      sessionName: KILLER_SESSION_NAME,
      policyName: 'KillPolicies',
      statement: new PolicyStatement({
        sid: 'KillPoliciesOnManagedRoles',
        actions: KILL_ACTIONS,
        // Target roles are added over time, under any path: the managed tag (the same the
        // broker's own kill permissions require) is what selects them.
        resources: [Stack.of(this).formatArn({ service: 'iam', region: '', resource: 'role', resourceName: '*' })],
        conditions: { StringEquals: { [`iam:ResourceTag/${MANAGED_TAG.key}`]: MANAGED_TAG.value } },
      }),
    });
  }
}

/**
 * The session killer roles the broker's ending functions may assume: one per account of the
 * catalog's roles, except the broker's own (its roles are changed with the functions' own
 * credentials). `brokerAccount` undefined (an environment-agnostic stack) keeps every account.
 */
const sessionKillerArns = (
  targetRoleArns: readonly string[],
  brokerAccount: string | undefined,
  roleName: string = DEFAULT_SESSION_KILLER_ROLE_NAME
): string[] => {
  const arns = new Set<string>();
  for (const arn of targetRoleArns) {
    const { partition, account } = roleArnAccount(arn);
    if (account !== brokerAccount) arns.add(`arn:${partition}:iam::${account}:role/${roleName}`);
  }
  return [...arns].sort();
};

export type { JitSessionKillerProps };
export { JitSessionKiller, KILL_ACTIONS, sessionKillerArns };
