import { CfnParameter, Fn, Stack } from 'aws-cdk-lib';
import type { ManagedPolicy } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { JitSessionKiller } from '../sessionKiller.js';
import { ceilingPolicy, JitTargetRole } from '../targetRole.js';
import { accountAgnostic } from './accountAgnostic.js';
import { inThisAccount, type WorkloadRole } from './workloadRoles.js';

interface JitWorkloadRolesStackProps {
  /** The target roles to create: workloadRoles(config) (all the catalog's), or a selection of them. */
  readonly roles: readonly WorkloadRole[];
  /** Must match the broker stack's `sessionKillerRoleName`; default `jit-broker-session-killer`. */
  readonly killerRoleName?: string;
}

/**
 * What every workload account needs, as one account-agnostic template for a service-managed
 * StackSet on an organizational unit (one Region per account: IAM is global):
 *
 * - the session killer, pinned to the target roles below (in whichever account it lands);
 * - one JitTargetRole per catalog role name, whose permissions and permissions boundary are both
 *   the catalog's `scopeCeiling` (one managed policy), so no policy the broker writes can exceed it.
 *
 * The broker's roles come in as parameters (outputs of the broker's JitBroker stack), so nothing
 * in the template names an account: `BrokerVendRoleArns` (VendRoleArn), `BrokerCiVendRoleArns`
 * (CiVendRoleArns, only when a CI template uses one of these roles) and `BrokerEndingRoleArns`
 * (SessionKillerTrustedRoleArns).
 */
class JitWorkloadRolesStack extends Stack {
  readonly roles: ReadonlyMap<string, JitTargetRole>;
  /** Each role's ceiling policy (its permissions and boundary), with the catalog role it comes from. */
  readonly ceilings: readonly { readonly spec: WorkloadRole; readonly policy: ManagedPolicy }[];
  readonly killer: JitSessionKiller;

  constructor(scope: Construct, id: string, props: JitWorkloadRolesStackProps) {
    super(
      scope,
      id,
      accountAgnostic(id, 'jit-broker: target roles and the session killer of a workload account (StackSet template)')
    );
    const specs = props.roles;
    if (specs.length === 0) throw new Error('JitWorkloadRolesStack needs at least one target role');
    const list = (name: string, description: string) =>
      new CfnParameter(this, name, {
        type: 'CommaDelimitedList',
        description,
        // Role ARNs, comma-separated, no spaces: what the broker stack's outputs print.
        allowedPattern: '^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\\w+=,.@/-]+$',
      }).valueAsList;
    const vend = list('BrokerVendRoleArns', "VendRoleArn output of the broker's JitBroker stack (comma-separated)");
    const ending = list(
      'BrokerEndingRoleArns',
      "SessionKillerTrustedRoleArns output of the broker's JitBroker stack (comma-separated)"
    );
    const ci = specs.some((s) => s.usedByCi)
      ? list('BrokerCiVendRoleArns', "CiVendRoleArns output of the broker's JitBroker stack (comma-separated)")
      : undefined;
    const vendAndCi = ci ? Fn.split(',', Fn.join(',', [Fn.join(',', vend), Fn.join(',', ci)])) : vend;

    this.killer = new JitSessionKiller(this, 'SessionKiller', {
      brokerRoleArns: ending,
      targetRoles: specs.map((s) => s.resourceName),
      ...(props.killerRoleName ? { roleName: props.killerRoleName } : {}),
    });
    const roles = new Map<string, JitTargetRole>();
    const ceilings: { spec: WorkloadRole; policy: ManagedPolicy }[] = [];
    for (const spec of specs) {
      const id = spec.catalogIds[0] as string;
      const policy = ceilingPolicy(this, `${id}-ceiling`, {
        actions: spec.actions,
        resources: spec.resources.map(inThisAccount),
        description: `jit-broker: ceiling of role/${spec.resourceName} (catalog ${spec.catalogIds.join(', ')})`,
      });
      ceilings.push({ spec, policy });
      roles.set(spec.resourceName, this.#targetRole(spec, policy, spec.usedByCi ? vendAndCi : vend));
    }
    this.roles = roles;
    this.ceilings = ceilings;
  }

  #targetRole(spec: WorkloadRole, ceiling: ManagedPolicy, brokerRoleArns: readonly string[]): JitTargetRole {
    const id = spec.catalogIds[0] as string;
    return new JitTargetRole(this, id, {
      roleName: spec.name,
      path: spec.path,
      brokerRoleArns,
      description: `jit-broker target role (catalog ${spec.catalogIds.join(', ')})`,
      managedPolicies: [ceiling],
      permissionsBoundary: ceiling,
    });
  }
}

export type { JitWorkloadRolesStackProps };
export { JitWorkloadRolesStack };
