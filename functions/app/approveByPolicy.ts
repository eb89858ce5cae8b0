import { autoApprove } from '../domain/decisions.js';
import type { Grant } from '../domain/grant.js';
import type { BrokerDeps } from './deps.js';
import { scheduleExpiry } from './reviewGrant.js';

/**
 * Approves a just-opened PENDING grant in the name of the policy that decided it, and schedules
 * its expiry. Two writes: if the second fails, the grant stays PENDING (fails safe).
 */
const approveByPolicy = async (deps: BrokerDeps, pending: Grant, policyId: string): Promise<Grant> => {
  const approved = autoApprove(pending, policyId, deps.clock.now());
  await deps.store.transition(pending, approved);
  await scheduleExpiry(deps, approved.grant);
  return approved.grant;
};

export { approveByPolicy };
