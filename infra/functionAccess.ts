/**
 * What each function may do, read off the use cases its handler calls (functions/app/*). The stack
 * turns each capability into IAM statements; nothing else is granted.
 *
 * - `read`: GetItem/Query on the table and its indexes (every grant read, list, audit, kill list).
 * - `write`: PutItem, the only write a grant transition makes (TransactWriteItems of Puts).
 * - `recordKills`: BatchGetItem (the grants whose kills a render applied), UpdateItem (a kill's applied
 *   marks; announcing to and renewing a kill lease) and DeleteItem (pruning kill records, releasing a lease).
 * - `scheduleExpiry`: Create/UpdateSchedule in the group and iam:PassRole of the scheduler role.
 * - `cancelExpiry`: DeleteSchedule in the group.
 * - `assumeTargets`: sts:AssumeRole/TagSession/SetSourceIdentity on broker-managed target roles.
 * - `killSessions`: the kill policy's IAM calls on broker-managed target roles.
 * - `recordActivity`: PutItem and UpdateItem (activity markers and counters of a grant).
 * - `lookupActivity`: cloudtrail:LookupEvents (Event history by a grant's access key ids).
 */
type Capability =
  | 'read'
  | 'write'
  | 'recordKills'
  | 'scheduleExpiry'
  | 'cancelExpiry'
  | 'assumeTargets'
  | 'killSessions'
  | 'recordActivity'
  | 'lookupActivity';

/** The ending path (finish, revoke, expiry, sweeper): settleEnd cancels the schedule and re-renders kills. */
const ENDING: readonly Capability[] = ['read', 'write', 'recordKills', 'cancelExpiry', 'killSessions'];

const FUNCTION_ACCESS: Readonly<Record<string, readonly Capability[]>> = {
  // Answers a static document; touches nothing.
  health: [],
  // requestGrant: narrows the scope (iam-data, in the bundle), counts the requester's recent grants
  // for the policies, creates the grant and — when a policy auto-approves it or allows break-glass —
  // approves it at once and schedules its expiry.
  createGrant: ['read', 'write', 'scheduleExpiry'],
  listGrants: ['read'],
  getGrant: ['read'],
  // auditGrant: the chain and recorded activity; with ?lookup=cloudtrail, Event history by access key.
  getGrantAudit: ['read', 'lookupActivity'],
  // runReport: grants by role, their events and activity, and the denial records of the period.
  getReport: ['read'],
  // recordActivity: reads the grant (its role and end) unless the warm recorder knows it, writes the
  // call's marker and counters in one transaction; an anomaly rule (config/anomaly.json) may revoke
  // the grant or settle its end again: the ending path.
  recordActivity: [...ENDING, 'recordActivity'],
  // approveGrant: records the approval, then creates (or, for an extension, moves) the expiry schedule.
  approveGrant: ['read', 'write', 'scheduleExpiry'],
  denyGrant: ['read', 'write'],
  // cancelGrant: only PENDING/APPROVED grants can be cancelled, so no credential to kill; it removes the schedule.
  cancelGrant: ['read', 'write', 'cancelExpiry'],
  // vendCredentials: one AssumeRole and one transaction.
  vendCredentials: ['read', 'write', 'assumeTargets'],
  finishGrant: ENDING,
  revokeGrant: ENDING,
  // extendGrant: records the request; approval (approveGrant) moves the schedule.
  extendGrant: ['read', 'write'],
  // reviewGrant: security closes a break-glass grant's after-the-fact review.
  reviewGrant: ['read', 'write'],
  // ciCredentials: verifies the token (JWKS over HTTPS), records its jti (a conditional Put), opens the
  // grant approved by policy with its expiry schedule, and vends at once.
  ciCredentials: ['read', 'write', 'scheduleExpiry', 'assumeTargets'],
  // ciRevend: records the new token's jti, then the vend path.
  ciRevend: ['read', 'write', 'assumeTargets'],
  // ciDone: records the token's jti, then the ending path like finishGrant.
  ciDone: ENDING,
  expire: ENDING,
  sweep: ENDING,
};

export type { Capability };
export { FUNCTION_ACCESS };
