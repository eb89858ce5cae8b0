import * as access from '../accessRoutes.js';
import { activityHandler } from '../activityHandler.js';
import * as ci from '../ciRoutes.js';
import { expiryHandler, sweepHandler } from '../scheduledHandlers.js';
import { chainSigning, workloadTokens } from './modules.js';
import { lambdaBundle } from './runtime.js';

/**
 * The ending path (done, revoke, a CI job's done, expiry, the sweeper) and the activity recorder,
 * whose anomaly rules may revoke: one idempotent end, the kill, the schedule's cancellation.
 */
const bundle = lambdaBundle('ending', { workloadTokens, chainSigning });

export const finishGrant = bundle.http(access.finishGrant);
export const revokeGrant = bundle.http(access.revokeGrant);
export const ciDone = bundle.http(ci.ciDone);
export const expire = bundle.scheduled('expire', expiryHandler, (result) => `expiry-${result.outcome}`);
export const sweep = bundle.scheduled('sweep', sweepHandler, () => 'sweep-finished');
export const recordActivity = bundle.scheduled(
  'recordActivity',
  activityHandler,
  (result) => `activity-${result.outcome}`
);
