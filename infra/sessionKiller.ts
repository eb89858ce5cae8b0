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
const KILL_READS = ['iam:ListRolePolicies', 'iam:GetRolePolicy'];
const KILL_WRITES = ['iam:PutRolePolicy', 'iam:DeleteRolePolicy'];
const KILL_ACTIONS = [...KILL_READS, ...KILL_WRITES];

/**
 * What whoever writes kill policies may do, on `roleArns`: read any role's inline policies, and
 * write them only on roles that are tagged `jit-broker:managed=true` and have a permissions
 * boundary. IAM has no condition key for an inline policy's name, so the kill policy's name
 * cannot be pinned; the boundary is what keeps anything written there within the role's ceiling.
 * `iam:PermissionsBoundary` is in the request context of PutRolePolicy and DeleteRolePolicy only
 * (not of the reads), hence two statements. Used by the broker's own ending functions for roles
 * in its account, and by each account's session killer.
 */
const killStatements = (roleArns: readonly string[]): PolicyStatement[] => {
  const managed = { [`iam:ResourceTag/${MANAGED_TAG.key}`]: MANAGED_TAG.value };
  return [
    new PolicyStatement({
      sid: 'ReadInlinePoliciesOfManagedRoles',
      actions: KILL_READS,
      resources: [...roleArns],
      conditions: { StringEquals: managed },
    }),
    new PolicyStatement({
      sid: 'WriteKillPoliciesOnBoundedManagedRoles',
      actions: KILL_WRITES,
      resources: [...roleArns],
      conditions: { StringEquals: managed, Null: { 'iam:PermissionsBoundary': 'false' } },
    }),
  ];
};

/** `arn:aws:iam::222222222222:role/jit/prod-read` → `jit/prod-read`: a role's path and name, without its account. */
const roleResourceName = (roleArn: string): string => {
  roleArnAccount(roleArn);
  return roleArn.slice(roleArn.indexOf(':role/') + ':role/'.length);
};

interface JitSessionKillerProps {
  /**
   * ARNs of the broker's roles that end grants (the finishGrant, revokeGrant, ciDone, expire and
   * sweep functions' roles: output `SessionKillerTrustedRoleArns` of the broker's stack), or a
   * CommaDelimitedList parameter's `valueAsList`. Only they may assume the killer role.
   */
  readonly brokerRoleArns: readonly string[];
  /**
   * Default `jit-broker-session-killer`: the broker derives the ARN from the account of each target
   * role, so the name must match the broker stack's `sessionKillerRoleName`.
   */
  readonly roleName?: string;
  /**
   * The target roles of this account, by path and name (`jit/prod-read`, as `roleResourceName`
   * gives it from a catalog ARN), each taken in the stack's own account. The killer may change
   * only these. Omitted: every role in the account (`role/*`) — still only those tagged managed
   * and bounded, but pin them wherever the catalog is known.
   */
  readonly targetRoles?: readonly string[];
}

/**
 * The session killer of one workload account, for platform teams: IAM lets a role's inline
 * policies be changed only from inside its own account, so the broker assumes this role to write
 * (and prune) the kill policy on the account's target roles. Deploy it once per account that holds
 * JitTargetRoles, beside them.
 *
 * It trusts only the broker's ending functions, with the session name the broker uses, and may only
 * read and write the inline policies of the target roles it is given (killStatements: tagged
 * `jit-broker:managed=true`, and bounded for writes) — it is not tagged itself, so the broker
 * cannot change it. Nothing in it names an account: it synthesizes the same in every account.
 */
class JitSessionKiller extends Construct {
  readonly role: Role;

  constructor(scope: Construct, id: string, props: JitSessionKillerProps) {
    super(scope, id);
    if (props.targetRoles !== undefined && props.targetRoles.length === 0) {
      throw new Error('JitSessionKiller targetRoles is empty: name the roles, or leave it out for every managed role');
    }
    const stack = Stack.of(this);
    const roleArn = (resourceName: string) =>
      stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName });
    this.role = killerRole(this, 'Role', {
      owner: 'JitSessionKiller',
      roleName: props.roleName ?? DEFAULT_SESSION_KILLER_ROLE_NAME,
      description: 'Assumed by jit-broker to deny the sessions of ended grants on target roles in this account',
      brokerRoleArns: props.brokerRoleArns,
      sessionName: KILLER_SESSION_NAME,
      policyName: 'KillPolicies',
      statements: killStatements((props.targetRoles ?? ['*']).map(roleArn)),
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
export { JitSessionKiller, KILL_ACTIONS, killStatements, roleResourceName, sessionKillerArns };
