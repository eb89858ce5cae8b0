import { type Caller, isAmong } from '../domain/caller.js';
import { approve, cancel, closeReview, deny, expirePending } from '../domain/decisions.js';
import { ConflictError, ForbiddenError } from '../domain/errors.js';
import { approveExtension, denyExtension } from '../domain/extension.js';
import type { Grant } from '../domain/grant.js';
import type { BrokerDeps } from './deps.js';
import { settleEnd } from './endGrant.js';
import { loadVisibleGrant } from './grantAccess.js';
import { mutateGrant } from './mutateGrant.js';

/**
 * A request past its pending window expires on first touch (the sweeper would get to it soon
 * anyway); the reviewer then learns it is too late instead of approving a stale request.
 */
const expiredInstead = (grant: Grant): never => {
  throw new ConflictError(
    'GRANT_EXPIRED',
    `grant ${grant.id} waited for approval until ${grant.pendingUntil} and has expired; the requester must ask again`
  );
};

/**
 * The expiry schedule follows the approval that records it. If creating it fails, the approval
 * stands: the sweeper ends overdue grants whatever happened to their schedule.
 */
const scheduleExpiry = async (deps: BrokerDeps, grant: Grant): Promise<void> => {
  try {
    await deps.expiry.schedule(grant.id, new Date(grant.expiresAt as string));
  } catch (error) {
    deps.logger.error('expiry schedule not created; the sweeper will end the grant', {
      grantId: grant.id,
      error: (error as Error).message,
    });
    await deps.alerts.raise('schedule-failed', { grantId: grant.id, expiresAt: grant.expiresAt });
  }
};

/**
 * Policies may forbid an approver the grant names (e.g. one who shares a group with the requester).
 * Asked only of approvers the grant names, so the domain's own errors stay what they were.
 */
const assertPolicyAllowsApproval = async (deps: BrokerDeps, caller: Caller, grant: Grant): Promise<void> => {
  const role = deps.config.catalog.roles.get(grant.roleId);
  if (role === undefined || caller.userId === grant.requester || !isAmong(caller, grant.approvers)) return;
  const check = await deps.policy.mayApprove({
    approver: caller.userId,
    approverGroups: caller.groups,
    requester: grant.requester,
    requesterGroups: await deps.directory.groupsOf(grant.requester),
    role,
  });
  if (!check.allowed) throw new ForbiddenError('POLICY_DENIED', check.messages.join('; '));
};

/**
 * Approves a pending request, or — on a running grant — its pending extension. Either way the
 * expiry schedule follows a changed expiry (created on approval, moved on extension).
 */
const approveGrant = async (deps: BrokerDeps, caller: Caller, grantId: string, comment?: string): Promise<Grant> => {
  const read = await loadVisibleGrant(deps, grantId, caller);
  await assertPolicyAllowsApproval(deps, caller, read);
  const { grant, event } = await mutateGrant(
    deps,
    grantId,
    caller,
    (g, now) =>
      g.state === 'PENDING'
        ? (expirePending(g, now) ?? approve(g, caller, now, comment))
        : approveExtension(g, caller, now, comment),
    read
  );
  if (grant.state === 'EXPIRED') expiredInstead(grant);
  if (event.type === 'grant.approved' || event.type === 'grant.extended') await scheduleExpiry(deps, grant);
  deps.logger.info('grant approval recorded', { grantId, approver: caller.userId, state: grant.state });
  return grant;
};

const denyGrant = async (deps: BrokerDeps, caller: Caller, grantId: string, comment: string): Promise<Grant> => {
  const { grant } = await mutateGrant(deps, grantId, caller, (g, now) =>
    g.state === 'PENDING'
      ? (expirePending(g, now) ?? deny(g, caller, now, comment))
      : denyExtension(g, caller, now, comment)
  );
  if (grant.state === 'EXPIRED') expiredInstead(grant);
  deps.logger.info('grant denied', { grantId, approver: caller.userId });
  return grant;
};

/** Cancelling an approved grant also removes its expiry schedule: the same settling as any end. */
const cancelGrant = async (deps: BrokerDeps, caller: Caller, grantId: string, comment?: string): Promise<Grant> => {
  const { grant } = await mutateGrant(deps, grantId, caller, (g, now) => cancel(g, caller, now, comment));
  await settleEnd(deps, grant);
  deps.logger.info('grant cancelled', { grantId, requester: caller.userId });
  return grant;
};

/** Security closes a break-glass grant's after-the-fact review. */
const reviewGrant = async (deps: BrokerDeps, caller: Caller, grantId: string, comment: string): Promise<Grant> => {
  const { grant } = await mutateGrant(deps, grantId, caller, (g, now) =>
    closeReview(g, caller, deps.config.security, now, comment)
  );
  deps.logger.info('break-glass grant reviewed', { grantId, reviewer: caller.userId });
  return grant;
};

export { approveGrant, cancelGrant, denyGrant, reviewGrant, scheduleExpiry };
