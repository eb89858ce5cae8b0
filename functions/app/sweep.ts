import { EMPTY_ORG_KILL } from '../domain/orgKill.js';
import type { BrokerDeps } from './deps.js';
import { dueGrants } from './dueGrants.js';
import { expireGrant } from './endGrant.js';
import { killOnRole } from './killSessions.js';
import { killInOrganization } from './orgKill.js';
import { sweepPending } from './sweepPending.js';

interface SweepReport {
  readonly pendingExpired: readonly string[];
  readonly accessExpired: readonly string[];
  readonly rolesReconciled: readonly string[];
}

/**
 * Reconciles what a lost schedule or a failed call left behind: pending requests past their
 * window, approved or active grants past their expiry, and kill policies that are missing,
 * stale or due for pruning. Every step is idempotent, so overlapping sweeps are harmless.
 */
const sweep = async (deps: BrokerDeps): Promise<SweepReport> => {
  const { expired: pendingExpired } = await sweepPending(deps);
  const accessExpired: string[] = [];
  for (const state of ['APPROVED', 'ACTIVE'] as const) {
    for (const grant of await dueGrants(deps, state)) {
      if ((await expireGrant(deps, grant.id)) === 'expired') accessExpired.push(grant.id);
    }
  }
  // Every role with kill records, applied or not: a kill whose end died before rendering it, one
  // left by a renderer that gave up, and a stale write that landed late are all repaired here.
  const roles = [...new Set((await deps.store.listAllKills()).map((k) => k.roleArn))];
  const reconcile = async (target: string, render: () => Promise<unknown>) => {
    try {
      await render();
    } catch (error) {
      deps.logger.error('kill reconciliation failed', { target, error: (error as Error).message });
    }
  };
  for (const roleArn of roles) await reconcile(roleArn, () => killOnRole(deps, roleArn));
  // The organization's SCP too, while any kill is recorded or until it denies nothing again.
  const { orgKill } = deps;
  if (orgKill !== undefined) {
    await reconcile('organization', async () => {
      if (roles.length > 0 || (await orgKill.read()) !== EMPTY_ORG_KILL) await killInOrganization(deps, orgKill);
    });
  }
  return { pendingExpired, accessExpired, rolesReconciled: roles };
};

export type { SweepReport };
export { sweep };
