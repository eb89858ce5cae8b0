import { type ActivityUse, activityOf, type CloudTrailRecord } from '../domain/activity.js';
import { type CallClass, classifyCall } from '../domain/callOutcome.js';
import type { Grant } from '../domain/grant.js';
import { isTerminal } from '../domain/grantState.js';
import { killAppliedAt, lateSuccess } from '../domain/killEffect.js';
import type { BrokerDeps } from './deps.js';
import { respondToAnomalies } from './respondToAnomalies.js';

type RecordOutcome = 'recorded' | 'duplicate' | 'not-a-grant' | 'unknown-grant' | 'other-role';

/**
 * Records one CloudTrail API call against the grant whose session made it (the live recorder:
 * an EventBridge rule in AWS, the recording proxy in the sandbox). Idempotent per CloudTrail event
 * id. Each call is filed by what AWS answered and when it came (docs/audit.md): a call AWS let
 * through after the grant's end (beyond the grace) raises `used-after-end` once; a call no policy
 * can deny (sts:GetCallerIdentity) or that AWS refused (the kill at work) does not. Refused calls of
 * a live grant, and late successes, go to the anomaly rules — on redeliveries too, so a response
 * that failed half-way is completed. A grant this process has read is not read again while what it
 * knows of it still holds for the call (KnownGrants).
 */
const recordActivity = async (deps: BrokerDeps, record: CloudTrailRecord): Promise<RecordOutcome> => {
  const use = activityOf(record);
  if (use === undefined) return 'not-a-grant';
  // The common case: a grant this process has read, a call its facts still cover, nothing for the
  // anomaly rules: one write, no read (KnownGrants says why the facts cannot be stale for it).
  const known = deps.knownGrants.factsFor(use);
  if (known !== undefined) {
    if (!isOwnRole(deps, use, known.roleArn)) return 'other-role';
    const filed = classifyCall(use, known.endedAt);
    if (!needsTheGrant(filed)) return deps.activity.record(use, filed);
  }
  const readAt = deps.clock.now();
  const grant = await deps.store.get(use.grantId);
  if (grant === undefined) {
    // A source identity that looks like a grant id but is not one of ours: someone else's session.
    deps.logger.warn('activity for an unknown grant ignored', { grantId: use.grantId, eventId: use.eventId });
    return 'unknown-grant';
  }
  deps.knownGrants.remember(grant, readAt);
  if (!isOwnRole(deps, use, grant.roleArn)) return 'other-role';
  const filed = classifyCall(use, grant.endedAt);
  const outcome = await deps.activity.record(use, filed);
  // A refused call that is only delivered after the grant ended finds nothing left to revoke.
  if (filed.phase === 'live' && filed.outcome === 'refused' && !isTerminal(grant.state)) {
    await respondToAnomalies(deps, grant, use, { trigger: 'refused-calls' });
  }
  // (After the end means the grant has an end: the check only tells the compiler.)
  if (filed.phase === 'after-end' && filed.outcome === 'succeeded' && grant.endedAt !== undefined) {
    await usedAfterEnd(deps, grant, grant.endedAt, use, outcome);
  }
  return outcome;
};

/** Calls the anomaly rules or the used-after-end alert look at: they act on the grant as it is now. */
const needsTheGrant = (filed: CallClass): boolean =>
  (filed.phase === 'live' && filed.outcome === 'refused') ||
  (filed.phase === 'after-end' && filed.outcome === 'succeeded');

/**
 * Anyone who may call sts:AssumeRole with SetSourceIdentity on some other role could name a grant
 * id as source identity; only sessions of the grant's own role count as the grant's.
 */
const isOwnRole = (deps: BrokerDeps, use: ActivityUse, roleArn: string): boolean => {
  if (use.roleArn === roleArn) return true;
  deps.logger.warn('activity naming a grant from another role ignored', {
    grantId: use.grantId,
    eventId: use.eventId,
    roleArn: use.roleArn,
  });
  return false;
};

/**
 * A call AWS let through after the end. Whether the kill was in force then is the chain's to say
 * (`grant.sessions-killed`): not yet, in force for less than the grace (IAM may still be
 * propagating it), or longer — the kill did not hold. Every case is access after the end, so each
 * raises the alert, saying which.
 */
const usedAfterEnd = async (
  deps: BrokerDeps,
  grant: Grant,
  endedAt: string,
  use: ActivityUse,
  outcome: 'recorded' | 'duplicate'
): Promise<void> => {
  const appliedAt = killAppliedAt(await deps.store.auditTrail(grant.id));
  const verdict = lateSuccess(use.at, appliedAt);
  if (outcome === 'recorded') {
    await deps.alerts.raise('used-after-end', {
      grantId: grant.id,
      requester: grant.requester,
      role: grant.roleId,
      endedAt,
      killAppliedAt: appliedAt ?? null,
      lateSuccess: verdict,
      action: use.action,
      at: use.at,
      eventId: use.eventId,
      accessKeyId: use.accessKeyId,
    });
  }
  await respondToAnomalies(deps, grant, use, {
    trigger: 'used-after-end',
    endedAt,
    killAppliedAt: appliedAt,
    lateSuccess: verdict,
  });
};

export type { RecordOutcome };
export { recordActivity };
