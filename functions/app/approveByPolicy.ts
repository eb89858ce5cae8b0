import { autoApprove } from '../domain/decisions.js';
import type { Grant, Transition } from '../domain/grant.js';
import type { BrokerDeps } from './deps.js';
import { scheduleExpiry } from './reviewGrant.js';

/**
 * Stores a just-opened grant already approved in the name of the policy that decided it — the
 * request and the approval in one write, so the grant is never stored PENDING on the way — and
 * then schedules its expiry. If the schedule cannot be made, the approval stands and the sweeper
 * ends the grant (scheduleExpiry).
 */
const openApprovedByPolicy = async (deps: BrokerDeps, opened: Transition, policyId: string): Promise<Grant> => {
  const approved = autoApprove(opened.grant, policyId, deps.clock.now());
  await deps.store.create(opened, approved);
  await scheduleExpiry(deps, approved.grant);
  return approved.grant;
};

export { openApprovedByPolicy };
