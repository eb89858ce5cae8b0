import { activityOf, type CloudTrailRecord, isAfterEnd } from '../domain/activity.js';
import type { BrokerDeps } from './deps.js';

type RecordOutcome = 'recorded' | 'duplicate' | 'not-a-grant' | 'unknown-grant' | 'other-role';

/**
 * Records one CloudTrail API call against the grant whose session made it (the live recorder:
 * an EventBridge rule in AWS, the recording proxy in the sandbox). Idempotent per CloudTrail event
 * id. A call after the grant's end (beyond the grace) is kept by name and raises `used-after-end`
 * once, after it is recorded.
 */
const recordActivity = async (
  deps: Pick<BrokerDeps, 'store' | 'activity' | 'alerts' | 'logger'>,
  record: CloudTrailRecord
): Promise<RecordOutcome> => {
  const use = activityOf(record);
  if (use === undefined) return 'not-a-grant';
  const grant = await deps.store.get(use.grantId);
  if (grant === undefined) {
    // A source identity that looks like a grant id but is not one of ours: someone else's session.
    deps.logger.warn('activity for an unknown grant ignored', { grantId: use.grantId, eventId: use.eventId });
    return 'unknown-grant';
  }
  // Anyone who may call sts:AssumeRole with SetSourceIdentity on some other role could name a grant
  // id as source identity; only sessions of the grant's own role count as the grant's.
  if (use.roleArn !== grant.roleArn) {
    deps.logger.warn('activity naming a grant from another role ignored', {
      grantId: grant.id,
      eventId: use.eventId,
      roleArn: use.roleArn,
    });
    return 'other-role';
  }
  const afterEnd = isAfterEnd(use, grant.endedAt);
  const outcome = await deps.activity.record(use, afterEnd);
  if (outcome === 'recorded' && afterEnd) {
    await deps.alerts.raise('used-after-end', {
      grantId: grant.id,
      requester: grant.requester,
      role: grant.roleId,
      endedAt: grant.endedAt,
      action: use.action,
      at: use.at,
      eventId: use.eventId,
      accessKeyId: use.accessKeyId,
      errorCode: use.errorCode,
    });
  }
  return outcome;
};

export type { RecordOutcome };
export { recordActivity };
