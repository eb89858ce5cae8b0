import type { ActivityUse } from './activity.js';

/**
 * What AWS did with a call, read from CloudTrail:
 * - `refused`: an access denial (see isAccessDenial) — after the end, the kill at work;
 * - `succeeded`: no error — after the kill, the kill did not stop it;
 * - `failed`: another error (throttling, a missing resource, an expired token…): CloudTrail does not
 *   say whether IAM let it through, so it proves neither;
 * - `undeniable`: an action no IAM policy can deny (UNDENIABLE_ACTIONS), whatever its answer.
 */
type CallOutcome = 'refused' | 'succeeded' | 'failed' | 'undeniable';
const CALL_OUTCOMES: readonly CallOutcome[] = ['refused', 'succeeded', 'failed', 'undeniable'];

/**
 * When a call came, relative to its grant's end: `live` (the grant had not ended), `grace` (at
 * most AFTER_END_GRACE_SECONDS after the end), `after-end` (later).
 */
type CallPhase = 'live' | 'grace' | 'after-end';

/** How the recorder files one call. */
interface CallClass {
  readonly outcome: CallOutcome;
  readonly phase: CallPhase;
}

const noOutcomes = (): Record<CallOutcome, number> => ({ refused: 0, succeeded: 0, failed: 0, undeniable: 0 });

/**
 * A call this soon after the grant's end is not flagged: ending writes the kill at once, but IAM
 * takes a while to apply the deny everywhere ("a few minutes" at most, the IAM User Guide says; a
 * few seconds in practice), and a call already in flight may finish. A call that succeeds later
 * means the kill was not in force, or did not hold, or someone replays the keys: which of these is
 * the kill's applied time's to say (functions/domain/killEffect.ts).
 */
const AFTER_END_GRACE_SECONDS = 60;

/** Whether `use` came after the grant ended, beyond the grace. Open grants have no end yet. */
const isAfterEnd = (use: Pick<ActivityUse, 'at'>, endedAt: string | undefined): boolean =>
  endedAt !== undefined && Date.parse(use.at) > Date.parse(endedAt) + AFTER_END_GRACE_SECONDS * 1000;

/**
 * Actions no IAM policy can deny, so a call after the end proves nothing about the kill. The STS API
 * Reference (GetCallerIdentity): "No permissions are required to perform this operation. If an
 * administrator attaches a policy to your identity that explicitly denies access to the
 * sts:GetCallerIdentity action, you can still perform this operation." We found no other action
 * documented so; add one here only with its source.
 */
const UNDENIABLE_ACTIONS: ReadonlySet<string> = new Set(['sts:GetCallerIdentity']);

/**
 * CloudTrail `errorCode`s of a call refused by authorization. Query-protocol services (S3, IAM, STS,
 * SQS, CloudFormation) answer `AccessDenied`; JSON-protocol services (KMS, DynamoDB, Lambda, most
 * newer ones) `AccessDeniedException`; EC2 `UnauthorizedOperation`, which CloudTrail logs as
 * `Client.UnauthorizedOperation`; SNS `AuthorizationError`. The prefix and suffix follow the
 * CloudTrail User Guide's "authorization failures" metric filter (`$.errorCode = "*UnauthorizedOperation"`
 * or `"AccessDenied*"`, in "Creating CloudWatch alarms for CloudTrail events: examples").
 */
const ACCESS_DENIAL = /^(?:Client\.)?(?:AccessDenied\w*|\w*UnauthorizedOperation|AuthorizationError(?:Exception)?)$/;

const isAccessDenial = (errorCode: string): boolean => ACCESS_DENIAL.test(errorCode);

/** The outcome of one call (the phase aside). */
const outcomeOf = (use: Pick<ActivityUse, 'action' | 'errorCode'>): CallOutcome => {
  if (UNDENIABLE_ACTIONS.has(use.action)) return 'undeniable';
  if (use.errorCode === undefined) return 'succeeded';
  return isAccessDenial(use.errorCode) ? 'refused' : 'failed';
};

const phaseOf = (use: Pick<ActivityUse, 'at'>, endedAt: string | undefined): CallPhase => {
  if (endedAt === undefined || use.at <= endedAt) return 'live';
  return isAfterEnd(use, endedAt) ? 'after-end' : 'grace';
};

/** What AWS did with the call and when it came: how the recorder files it. */
const classifyCall = (use: ActivityUse, endedAt: string | undefined): CallClass => ({
  outcome: outcomeOf(use),
  phase: phaseOf(use, endedAt),
});

export type { CallClass, CallOutcome, CallPhase };
export {
  AFTER_END_GRACE_SECONDS,
  CALL_OUTCOMES,
  classifyCall,
  isAccessDenial,
  isAfterEnd,
  noOutcomes,
  outcomeOf,
  UNDENIABLE_ACTIONS,
};
