import middy from '@middy/core';
import type { BrokerDeps } from '../app/deps.js';
import { type RecordOutcome, recordActivity } from '../app/recordActivity.js';
import type { CloudTrailRecord } from '../domain/activity.js';

/** An "AWS API Call via CloudTrail" event from EventBridge: the CloudTrail record is its `detail`. */
interface CloudTrailApiCallEvent {
  readonly id?: string;
  readonly 'detail-type'?: string;
  readonly detail?: CloudTrailRecord;
}

/**
 * Invoked by the EventBridge rule on CloudTrail API calls whose source identity starts with `g-`
 * (infra/activityRecorder.ts). Events the rule should not have sent are ignored, not failed:
 * a retry would not change them. Store errors throw, and EventBridge retries (idempotent).
 */
const activityHandler = (deps: BrokerDeps) =>
  middy<CloudTrailApiCallEvent, { outcome: RecordOutcome }>().handler(async (event) => {
    if (event.detail === undefined || typeof event.detail !== 'object') return { outcome: 'not-a-grant' as const };
    const outcome = await recordActivity(deps, event.detail);
    if (outcome !== 'recorded') deps.logger.info('activity not recorded', { outcome, eventId: event.detail.eventID });
    return { outcome };
  });

export type { CloudTrailApiCallEvent };
export { activityHandler };
