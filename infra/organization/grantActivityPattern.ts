import { type EventPattern, Match } from 'aws-cdk-lib/aws-events';
import { GRANT_ID_PREFIX } from '../../functions/domain/activity.js';

/** The detail type of every CloudTrail record EventBridge delivers, management and data events alike. */
const CLOUDTRAIL_DETAIL_TYPE = 'AWS API Call via CloudTrail';

/**
 * CloudTrail API calls made by a grant session: an assumed-role session whose source identity
 * starts with the grant id prefix (EventBridge prefix matching). The broker's recorder rule and
 * every workload account's forwarding rule match with this one pattern, so what a workload account
 * forwards is exactly what the recorder takes. A forwarded event keeps its source, detail type
 * and detail (only `account`/`region` say where it came from), and the recorder's rule does not
 * filter on the account, so forwarded calls match there as local ones do. Only AWS services
 * publish `aws.*` sources: nobody can put a look-alike custom event through this pattern.
 */
const grantActivityPattern = (): EventPattern => ({
  source: Match.prefix('aws.'),
  detailType: [CLOUDTRAIL_DETAIL_TYPE],
  detail: {
    userIdentity: {
      type: ['AssumedRole'],
      sessionContext: { sourceIdentity: [{ prefix: GRANT_ID_PREFIX }] },
    },
  },
});

/**
 * A rule that is merely ENABLED gets no read-only management events (Describe*, Get*, List*), and
 * most of what a read-only grant does is exactly that: width would read as unused. This state
 * makes EventBridge deliver them to the rule too; the narrow pattern keeps the volume to grant
 * sessions. (EventBridge User Guide, "Receiving read-only management events from AWS services".)
 */
const ALL_MANAGEMENT_EVENTS_STATE = 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';

export { ALL_MANAGEMENT_EVENTS_STATE, CLOUDTRAIL_DETAIL_TYPE, grantActivityPattern };
