import type { Caller } from '../domain/caller.js';
import { approve, cancel, deny, expirePending } from '../domain/decisions.js';
import { ConflictError } from '../domain/errors.js';
import type { Grant } from '../domain/grant.js';
import type { BrokerDeps } from './deps.js';
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

const approveGrant = async (deps: BrokerDeps, caller: Caller, grantId: string, comment?: string): Promise<Grant> => {
  const grant = await mutateGrant(
    deps,
    grantId,
    caller,
    (g, now) => expirePending(g, now) ?? approve(g, caller, now, comment)
  );
  if (grant.state === 'EXPIRED') expiredInstead(grant);
  deps.logger.info('grant approval recorded', { grantId, approver: caller.userId, state: grant.state });
  return grant;
};

const denyGrant = async (deps: BrokerDeps, caller: Caller, grantId: string, comment: string): Promise<Grant> => {
  const grant = await mutateGrant(
    deps,
    grantId,
    caller,
    (g, now) => expirePending(g, now) ?? deny(g, caller, now, comment)
  );
  if (grant.state === 'EXPIRED') expiredInstead(grant);
  deps.logger.info('grant denied', { grantId, approver: caller.userId });
  return grant;
};

const cancelGrant = async (deps: BrokerDeps, caller: Caller, grantId: string, comment?: string): Promise<Grant> => {
  const grant = await mutateGrant(deps, grantId, caller, (g, now) => cancel(g, caller, now, comment));
  deps.logger.info('grant cancelled', { grantId, requester: caller.userId });
  return grant;
};

export { approveGrant, cancelGrant, denyGrant };
