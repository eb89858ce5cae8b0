import { Aws, Fn } from 'aws-cdk-lib';
import { roleArnAccount } from '../../functions/adapters/aws/crossAccountRolePolicies.js';
import type { BrokerConfig } from '../../functions/config/brokerConfig.js';
import { roleResourceName } from '../sessionKiller.js';

/**
 * The catalog has a shape one organization template cannot express (the same role name with two
 * ceilings, or nothing to record): the template is left out, with a warning, and the broker's own
 * stacks still synthesize.
 */
class CatalogShapeError extends Error {
  override readonly name = 'CatalogShapeError';
}

/** Stands for "the account the template is deployed in" until a stack turns it into `AWS::AccountId`. */
const THIS_ACCOUNT = '<this-account>';

/**
 * One target role as every workload account of an OU gets it, from the catalog: the same path and
 * name in each account (the catalog names one ARN per account), the catalog's `scopeCeiling` as
 * its permissions and its boundary, with the role's own account replaced by THIS_ACCOUNT.
 */
interface WorkloadRole {
  /** The catalog role ids this role serves (one per account it is named in). */
  readonly catalogIds: readonly string[];
  /** `jit/prod-read`: path and name, as in the ARN after `role/`. */
  readonly resourceName: string;
  readonly path: string;
  readonly name: string;
  readonly actions: readonly string[];
  /** Ceiling resources; the role's own account appears as THIS_ACCOUNT. */
  readonly resources: readonly string[];
  /** Some CI deploy template (ci.json) vends with it: the broker's CI vend roles must be trusted too. */
  readonly usedByCi: boolean;
}

/**
 * The catalog's roles grouped by path and name. Two catalog roles with the same name in different
 * accounts are one workload role, and must then have the same ceiling (up to their own account):
 * one template cannot give them different permissions. Throws naming them when they differ.
 */
const workloadRoles = (config: BrokerConfig, only?: readonly string[]): WorkloadRole[] => {
  const ciRoles = new Set([...config.ci.templates.values()].map((t) => t.role));
  const byName = new Map<string, WorkloadRole>();
  for (const role of config.catalog.roles.values()) {
    if (only !== undefined && !only.includes(role.id)) continue;
    const { account } = roleArnAccount(role.roleArn);
    const resourceName = roleResourceName(role.roleArn);
    const slash = resourceName.lastIndexOf('/');
    const candidate: WorkloadRole = {
      catalogIds: [role.id],
      resourceName,
      path: `/${resourceName.slice(0, slash + 1)}`,
      name: resourceName.slice(slash + 1),
      actions: [...role.scopeCeiling.actions],
      resources: role.scopeCeiling.resources.map((r) => r.split(`:${account}:`).join(`:${THIS_ACCOUNT}:`)),
      usedByCi: ciRoles.has(role.id),
    };
    const earlier = byName.get(resourceName);
    if (earlier === undefined) {
      byName.set(resourceName, candidate);
      continue;
    }
    const ceiling = (r: WorkloadRole) => JSON.stringify([[...r.actions].sort(), [...r.resources].sort()]);
    if (ceiling(earlier) !== ceiling(candidate)) {
      throw new CatalogShapeError(
        `catalog roles ${earlier.catalogIds.join(', ')} and ${role.id} are both role/${resourceName} but have ` +
          'different ceilings: one workload template gives a role name one set of permissions; rename one, or ' +
          'deploy them from separate workload stacks (the roles option)'
      );
    }
    byName.set(resourceName, {
      ...earlier,
      catalogIds: [...earlier.catalogIds, role.id],
      usedByCi: earlier.usedByCi || candidate.usedByCi,
    });
  }
  if (only !== undefined) {
    const unknown = only.filter((id) => !config.catalog.roles.has(id));
    if (unknown.length > 0) throw new Error(`not in the catalog: ${unknown.join(', ')}`);
  }
  return [...byName.values()];
};

/** A ceiling resource in the stack's own account: THIS_ACCOUNT becomes `AWS::AccountId` (no Fn::Sub, so IAM variables stay as they are). */
const inThisAccount = (resource: string): string => {
  const parts = resource.split(THIS_ACCOUNT);
  return parts.length === 1 ? resource : Fn.join(Aws.ACCOUNT_ID, parts);
};

export type { WorkloadRole };
export { CatalogShapeError, inThisAccount, THIS_ACCOUNT, workloadRoles };
