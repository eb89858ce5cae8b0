import { autoApprove } from '../domain/decisions.js';
import type { Grant, Transition } from '../domain/grant.js';
import type { BrokerDeps } from './deps.js';
import { scheduleExpiry } from './reviewGrant.js';

/**
 * Stores a just-opened grant already approved in the name of the policy that decided it — the
 * request and the approval in one write, so the grant is never stored PENDING on the way — and
 * schedules its expiry while that write is under way rather than after it: the requester waits
 * for one round trip instead of two. Either can fail alone, safely. A schedule that could not be
 * made leaves the approval standing and the sweeper ends the grant (scheduleExpiry). A schedule
 * made for a write that failed is kept: it fires into a grant that does not exist ('unknown-grant'
 * in expireGrant) and deletes itself. It is not cancelled, because a failed write is not always an
 * unwritten one — when the table's answer is lost (an outage after the commit) the grant may be
 * stored and live, and its schedule is then what ends it on time.
 */
const openApprovedByPolicy = async (deps: BrokerDeps, opened: Transition, policyId: string): Promise<Grant> => {
  const approved = autoApprove(opened.grant, policyId, deps.clock.now());
  const [written] = await Promise.allSettled([
    deps.store.create(opened, approved),
    scheduleExpiry(deps, approved.grant),
  ]);
  if (written.status === 'rejected') throw written.reason;
  return approved.grant;
};

export { openApprovedByPolicy };
