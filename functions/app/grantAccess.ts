import { type Caller, isAmong } from '../domain/caller.js';
import { NotFoundError } from '../domain/errors.js';
import type { Grant } from '../domain/grant.js';
import type { BrokerDeps } from './deps.js';

/** Who may see a grant: its requester, its possible approvers, and security. */
const canView = (grant: Grant, caller: Caller, security: readonly string[]): boolean =>
  grant.requester === caller.userId || isAmong(caller, grant.approvers) || isAmong(caller, security);

/**
 * Reads a grant the caller may see. A grant they may not see is reported exactly like one that does
 * not exist, so grant ids cannot be probed.
 */
const loadVisibleGrant = async (deps: BrokerDeps, grantId: string, caller: Caller): Promise<Grant> => {
  const grant = await deps.store.get(grantId);
  if (grant === undefined || !canView(grant, caller, deps.config.security)) {
    throw new NotFoundError('GRANT_NOT_FOUND', `no grant ${grantId} that you can see`);
  }
  return grant;
};

export { canView, loadVisibleGrant };
