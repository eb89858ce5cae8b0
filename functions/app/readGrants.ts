import { type Caller, isAmong } from '../domain/caller.js';
import { isPendingOverdue } from '../domain/decisions.js';
import type { Grant } from '../domain/grant.js';
import type { Page, PageRequest } from '../ports.js';
import type { BrokerDeps } from './deps.js';
import { loadVisibleGrant } from './grantAccess.js';

const getGrant = (deps: BrokerDeps, caller: Caller, grantId: string): Promise<Grant> =>
  loadVisibleGrant(deps, grantId, caller);

const listMyGrants = (deps: BrokerDeps, caller: Caller, page: PageRequest): Promise<Page<Grant>> =>
  deps.store.listByRequester(caller.userId, page);

/** Whether `caller` could approve `grant` right now. */
const awaitsReviewFrom = (grant: Grant, caller: Caller, now: Date): boolean =>
  grant.requester !== caller.userId &&
  isAmong(caller, grant.approvers) &&
  !grant.approvals.some((a) => a.by === caller.userId) &&
  !isPendingOverdue(grant, now);

/**
 * Pending grants the caller may approve, oldest deadline first. The page is read from the pending
 * index and then filtered, so a page can hold fewer than `limit` items and still have a next page.
 */
const listInbox = async (deps: BrokerDeps, caller: Caller, page: PageRequest): Promise<Page<Grant>> => {
  const pending = await deps.store.listByState('PENDING', page);
  const now = deps.clock.now();
  return { ...pending, items: pending.items.filter((g) => awaitsReviewFrom(g, caller, now)) };
};

export { awaitsReviewFrom, getGrant, listInbox, listMyGrants };
