import type { Caller } from '../domain/caller.js';
import { autoApprove } from '../domain/decisions.js';
import { BrokerError, loggedError } from '../domain/errors.js';
import type { Grant, Transition } from '../domain/grant.js';
import { planVend } from '../domain/vending.js';
import type { IssuedCredentials } from '../ports.js';
import type { BrokerDeps } from './deps.js';
import { createGrant } from './grantedRoles.js';
import { scheduleExpiry } from './reviewGrant.js';
import { issueSession, recordSession } from './vendCredentials.js';

/** A grant approved at once, and — when its requester asked — its first credentials or why it has none. */
interface ApprovedOpening {
  readonly grant: Grant;
  readonly credentials?: IssuedCredentials;
  /** Set when credentials were asked for and none came: the grant stands, the vend route may try again. */
  readonly vendFailure?: unknown;
}

/**
 * Starts the first vend of `approved` — its AssumeRole — before the approval is stored, and gives
 * what finishes it once the approval is: the vend recorded (no read: the grant as just written),
 * or why there are no credentials. Nothing issued here reaches anyone unless `finish` is called.
 */
const startFirstVend = (deps: BrokerDeps, caller: Caller, approved: Grant, now: Date) => {
  // Planned here, but a plan that cannot be made fails only the credentials, never the request.
  const issuing = (async () => {
    const plan = planVend(approved, caller, now);
    return { plan, credentials: await issueSession(deps, approved, plan) };
  })();
  issuing.catch(() => undefined);
  const finish = async (): Promise<ApprovedOpening> => {
    try {
      const { plan, credentials } = await issuing;
      return { grant: await recordSession(deps, caller, approved, plan, credentials), credentials };
    } catch (vendFailure) {
      if (vendFailure instanceof BrokerError) {
        deps.logger.warn('grant approved without its first credentials', {
          grantId: approved.id,
          code: vendFailure.code,
          reason: vendFailure.message,
        });
      } else {
        // Not an outcome the broker knows: as loud as an unexpected error at the edge.
        deps.logger.error('grant approved without its first credentials: unexpected error', {
          grantId: approved.id,
          error: loggedError(vendFailure),
        });
      }
      return { grant: approved, vendFailure };
    }
  };
  return finish;
};

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
 *
 * With `vendTo` (the requester asked for credentials in the same call), the first session's
 * AssumeRole runs alongside the write and the schedule too, and its vend is recorded once the
 * write succeeded; only then are the credentials answered (docs/vending.md, "Vending
 * alongside the approval"). A failed write drops them unseen and fails as before; a failed
 * AssumeRole or vend record leaves the approved grant standing, answered without credentials.
 */
const openApprovedByPolicy = async (
  deps: BrokerDeps,
  opened: Transition,
  policyId: string,
  vendTo?: Caller
): Promise<ApprovedOpening> => {
  const now = deps.clock.now();
  const approved = autoApprove(opened.grant, policyId, now);
  const finishVend = vendTo === undefined ? undefined : startFirstVend(deps, vendTo, approved.grant, now);
  const [written] = await Promise.allSettled([
    createGrant(deps, opened, approved),
    scheduleExpiry(deps, approved.grant),
  ]);
  if (written.status === 'rejected') throw written.reason;
  return finishVend === undefined ? { grant: approved.grant } : finishVend();
};

export type { ApprovedOpening };
export { openApprovedByPolicy };
