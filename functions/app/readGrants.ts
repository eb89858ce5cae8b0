import { type Caller, isAmong } from '../domain/caller.js';
import { isPendingOverdue, reviewDue } from '../domain/decisions.js';
import { ForbiddenError } from '../domain/errors.js';
import type { Grant } from '../domain/grant.js';
import type { Page, PageRequest } from '../ports.js';
import type { BrokerDeps } from './deps.js';
import { loadVisibleGrant } from './grantAccess.js';
import { rolesWithGrants } from './grantedRoles.js';

const getGrant = (deps: BrokerDeps, caller: Caller, grantId: string): Promise<Grant> =>
  loadVisibleGrant(deps, grantId, caller);

const listMyGrants = (deps: BrokerDeps, caller: Caller, page: PageRequest): Promise<Page<Grant>> =>
  deps.store.listByRequester(caller.userId, page);

/** Whether `caller` could approve `grant` (a request, or a running grant's extension) right now. */
const awaitsReviewFrom = (grant: Grant, caller: Caller, now: Date): boolean => {
  if (grant.requester === caller.userId || !isAmong(caller, grant.approvers)) return false;
  if (grant.state === 'PENDING') {
    return !grant.approvals.some((a) => a.by === caller.userId) && !isPendingOverdue(grant, now);
  }
  return grant.extension !== undefined && !grant.extension.approvals.some((a) => a.by === caller.userId);
};

/**
 * What the caller may approve: pending requests (oldest deadline first), then running grants with
 * an extension waiting. The page is read from the state index and then filtered, so it can hold
 * fewer than `limit` items and still have a next page. The cursor pages through pending requests;
 * extensions, which are few, come whole on the first page.
 */
const listInbox = async (deps: BrokerDeps, caller: Caller, page: PageRequest): Promise<Page<Grant>> => {
  const now = deps.clock.now();
  const pending = await deps.store.listByState('PENDING', page);
  const extensions: Grant[] = [];
  if (page.cursor === undefined) {
    for (const state of ['APPROVED', 'ACTIVE'] as const) {
      const running = await deps.store.listByState(state, { limit: 100 });
      extensions.push(...running.items.filter((g) => g.extension !== undefined));
    }
  }
  return { ...pending, items: [...pending.items, ...extensions].filter((g) => awaitsReviewFrom(g, caller, now)) };
};

/**
 * Break-glass grants security has not reviewed yet, for security only. Read per role — in the
 * catalog or removed from it since (rolesWithGrants) — from the role index (grants leave the state
 * index when they end, reviews outlive that) and filtered: fine at the volume break-glass has; a
 * dedicated index would be the next step. Newest first.
 */
const listReviewsDue = async (deps: BrokerDeps, caller: Caller, limit: number): Promise<Page<Grant>> => {
  if (!isAmong(caller, deps.config.security)) {
    throw new ForbiddenError('NOT_SECURITY', 'only security lists the break-glass grants awaiting review');
  }
  const due: Grant[] = [];
  for (const roleId of await rolesWithGrants(deps)) {
    let cursor: string | undefined;
    do {
      const page = await deps.store.listByRole(roleId, { limit: 100, ...(cursor ? { cursor } : {}) });
      due.push(...page.items.filter(reviewDue));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
  }
  due.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  return { items: due.slice(0, limit) };
};

export { awaitsReviewFrom, getGrant, listInbox, listMyGrants, listReviewsDue };
