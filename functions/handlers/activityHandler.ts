import middy from '@middy/core';
import type { BrokerDeps } from '../app/deps.js';
import { type RecordOutcome, recordActivity } from '../app/recordActivity.js';
import type { CloudTrailRecord } from '../domain/activity.js';

/** An "AWS API Call via CloudTrail" event from EventBridge: the CloudTrail record is its `detail`. */
interface CloudTrailApiCallEvent {
  readonly id?: string;
  /** `aws.<service>`: only AWS emits those (the rule matches nothing else either). */
  readonly source?: string;
  readonly 'detail-type'?: string;
  readonly detail?: CloudTrailRecord;
}

/**
 * Invoked by the EventBridge rule on CloudTrail API calls whose source identity starts with `g-`
 * (infra/activityRecorder.ts). Events the rule should not have sent are ignored, not failed:
 * a retry would not change them. Store errors throw, and EventBridge retries (idempotent; an anomaly
 * response that failed half-way is completed by the retry).
 */
const activityHandler = (deps: BrokerDeps) =>
  middy<CloudTrailApiCallEvent, { outcome: RecordOutcome }>().handler(async (event) => {
    const fromAws = typeof event.source === 'string' && event.source.startsWith('aws.');
    if (!fromAws || event.detail === undefined || typeof event.detail !== 'object') {
      deps.logger.warn('event ignored: not a CloudTrail record from AWS', { id: event.id, source: event.source });
      return { outcome: 'not-a-grant' as const };
    }
    const outcome = await recordActivity(deps, event.detail);
    if (outcome !== 'recorded') deps.logger.info('activity not recorded', { outcome, eventId: event.detail.eventID });
    return { outcome };
  });

export type { CloudTrailApiCallEvent };
export { activityHandler };
