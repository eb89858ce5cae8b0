import type { GrantState } from '../domain/grantState.js';
import type { BrokerDeps } from './deps.js';
import { expireGrant } from './endGrant.js';
import { killSessions } from './killSessions.js';
import { sweepPending } from './sweepPending.js';

const PAGE = 100;

/** Grants in `state` whose expiry has passed; the index is ordered by it, so we stop at the first future one. */
const overdue = async (deps: BrokerDeps, state: GrantState): Promise<string[]> => {
  const due: string[] = [];
  const now = deps.clock.now().toISOString();
  let cursor: string | undefined;
  do {
    const page = await deps.store.listByState(state, { limit: PAGE, ...(cursor ? { cursor } : {}) });
    for (const grant of page.items) {
      if (grant.expiresAt === undefined || grant.expiresAt > now) return due;
      due.push(grant.id);
    }
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return due;
};

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
    for (const grantId of await overdue(deps, state)) {
      if ((await expireGrant(deps, grantId)) === 'expired') accessExpired.push(grantId);
    }
  }
  const roles = [...new Set((await deps.store.listAllKills()).map((k) => k.roleArn))];
  for (const roleArn of roles) {
    try {
      await killSessions(deps, roleArn);
    } catch (error) {
      deps.logger.error('kill reconciliation failed', { roleArn, error: (error as Error).message });
    }
  }
  return { pendingExpired, accessExpired, rolesReconciled: roles };
};

export type { SweepReport };
export { sweep };
