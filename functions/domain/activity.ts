import { type CallOutcome, classifyCall, noOutcomes, outcomeOf } from './callOutcome.js';

/**
 * What a grant's sessions did, joined from CloudTrail. CloudTrail marks every call made with a
 * vended session with `userIdentity.sessionContext.sourceIdentity` = the grant id (set at vend time
 * and sticky across role chaining), and `userIdentity.accessKeyId` = the vended `ASIA…` key.
 */

/** The part of a CloudTrail record the broker reads (AWS CloudTrail User Guide, "userIdentity element"). */
interface CloudTrailRecord {
  readonly eventID: string;
  readonly eventTime: string;
  readonly eventSource: string;
  readonly eventName: string;
  readonly awsRegion?: string;
  readonly errorCode?: string;
  readonly userIdentity?: {
    readonly type?: string;
    readonly principalId?: string;
    readonly arn?: string;
    readonly accessKeyId?: string;
    readonly sessionContext?: {
      readonly sourceIdentity?: string;
      readonly attributes?: { readonly creationDate?: string; readonly mfaAuthenticated?: string };
      readonly sessionIssuer?: { readonly type?: string; readonly arn?: string };
    };
  };
}

/** One API call made with a grant's credentials. */
interface ActivityUse {
  readonly grantId: string;
  readonly eventId: string;
  /** The IAM action the call needed, `service:Action`. */
  readonly action: string;
  readonly at: string;
  readonly accessKeyId?: string;
  /** CloudTrail's `errorCode` when the call failed: what AWS answered (see outcomeOf). */
  readonly errorCode?: string;
  /** The role the session belongs to (`sessionContext.sessionIssuer.arn`, with its path). */
  readonly roleArn?: string;
}

/** A call made after the grant ended (beyond the grace), kept by name for the audit and the alert. */
interface LateCall {
  readonly eventId: string;
  readonly action: string;
  readonly at: string;
  readonly errorCode?: string;
  readonly outcome: CallOutcome;
}

/** A refused call of a live grant: what the anomaly rule counts (functions/domain/anomaly.ts). */
interface RefusedCall {
  readonly eventId: string;
  readonly action: string;
  readonly at: string;
}

/** A grant's recorded activity: counts per action, first and last use, and any use after its end. */
interface GrantActivity {
  readonly grantId: string;
  readonly actions: Readonly<Record<string, number>>;
  readonly calls: number;
  readonly firstUsedAt?: string;
  readonly lastUsedAt?: string;
  readonly afterEndCount: number;
  /** The first few late calls (at most LATE_CALLS_KEPT), earliest recorded first. */
  readonly afterEnd: readonly LateCall[];
  /** The late calls (the same as afterEndCount counts) by what AWS answered. */
  readonly afterEndOutcomes: Readonly<Record<CallOutcome, number>>;
  /** The first refused call from the end on, the grace included: the kill first seen at work. */
  readonly firstRefusedSinceEndAt?: string;
  /** The last late call AWS let through (undeniable ones aside): set means the end did not stop it. */
  readonly lastSucceededAfterEndAt?: string;
  /** Calls AWS refused while the grant was live: attempts outside its scope. */
  readonly refusedWhileLive: number;
}

/** Grant ids start with this; the EventBridge rule matches it as a prefix of the source identity. */
const GRANT_ID_PREFIX = 'g-';
const GRANT_ID = /^g-[0-9a-z]{26}$/;

/** Late calls kept by name per grant; the count goes on. Bounds the activity item's size. */
const LATE_CALLS_KEPT = 20;

/**
 * Service prefixes whose IAM prefix differs from the first label of their CloudTrail event source.
 * Everything else follows `<prefix>.amazonaws.com`.
 */
const IAM_PREFIX_BY_SOURCE: Readonly<Record<string, string>> = {
  'monitoring.amazonaws.com': 'cloudwatch',
  'email.amazonaws.com': 'ses',
  'elasticloadbalancing.amazonaws.com': 'elasticloadbalancing',
  'es.amazonaws.com': 'es',
  'events.amazonaws.com': 'events',
  'tagging.amazonaws.com': 'tag',
  'signin.amazonaws.com': 'signin',
};

/**
 * API operations whose IAM action has another name: without these a grant for `s3:ListBucket` that
 * lists objects would read as "unused" and the call as outside its scope. Keyed by
 * `<event source>:<event name>`; where an operation needs several actions, the one a task grants for it.
 */
const IAM_ACTION_BY_EVENT: Readonly<Record<string, string>> = {
  's3.amazonaws.com:ListObjects': 's3:ListBucket',
  's3.amazonaws.com:ListObjectsV2': 's3:ListBucket',
  's3.amazonaws.com:HeadBucket': 's3:ListBucket',
  's3.amazonaws.com:HeadObject': 's3:GetObject',
  's3.amazonaws.com:ListObjectVersions': 's3:ListBucketVersions',
  's3.amazonaws.com:ListBuckets': 's3:ListAllMyBuckets',
  's3.amazonaws.com:ListMultipartUploads': 's3:ListBucketMultipartUploads',
  's3.amazonaws.com:ListParts': 's3:ListMultipartUploadParts',
  's3.amazonaws.com:CreateMultipartUpload': 's3:PutObject',
  's3.amazonaws.com:UploadPart': 's3:PutObject',
  's3.amazonaws.com:CompleteMultipartUpload': 's3:PutObject',
  's3.amazonaws.com:DeleteObjects': 's3:DeleteObject',
  'lambda.amazonaws.com:Invoke': 'lambda:InvokeFunction',
};

/** Lambda's CloudTrail event names carry the API version (`GetFunction20150331v2`); IAM's do not. */
const API_VERSION_SUFFIX = /\d{8}(v\d+)?$/;

/** `s3.amazonaws.com` + `GetObject` → `s3:GetObject`. Undefined for something that is not an AWS event source. */
const iamActionOf = (eventSource: string, eventName: string): string | undefined => {
  const match = /^([a-z0-9-]+)\.amazonaws\.com$/.exec(eventSource);
  if (match === null || !/^[A-Za-z0-9]+$/.test(eventName)) return undefined;
  const renamed = IAM_ACTION_BY_EVENT[`${eventSource}:${eventName}`];
  if (renamed !== undefined) return renamed;
  const prefix = IAM_PREFIX_BY_SOURCE[eventSource] ?? (match[1] as string);
  const name = eventSource === 'lambda.amazonaws.com' ? eventName.replace(API_VERSION_SUFFIX, '') : eventName;
  return `${prefix}:${name}`;
};

/**
 * The grant call a CloudTrail record describes, or undefined when it is not one: another kind of
 * identity, another session (no or foreign source identity), or a record the broker cannot read.
 */
const activityOf = (record: CloudTrailRecord): ActivityUse | undefined => {
  const identity = record.userIdentity;
  const grantId = identity?.sessionContext?.sourceIdentity;
  if (identity?.type !== 'AssumedRole' || grantId === undefined || !GRANT_ID.test(grantId)) return undefined;
  const action = iamActionOf(record.eventSource, record.eventName);
  const at = Date.parse(record.eventTime);
  if (action === undefined || Number.isNaN(at) || typeof record.eventID !== 'string' || record.eventID === '') {
    return undefined;
  }
  return {
    grantId,
    eventId: record.eventID,
    action,
    at: new Date(at).toISOString(),
    // CloudTrail may log an empty string instead of the key, for security reasons.
    ...(identity.accessKeyId ? { accessKeyId: identity.accessKeyId } : {}),
    ...(record.errorCode ? { errorCode: record.errorCode } : {}),
    ...(identity.sessionContext?.sessionIssuer?.arn ? { roleArn: identity.sessionContext.sessionIssuer.arn } : {}),
  };
};

const NO_ACTIVITY = (grantId: string): GrantActivity => ({
  grantId,
  actions: {},
  calls: 0,
  afterEndCount: 0,
  afterEnd: [],
  afterEndOutcomes: noOutcomes(),
  refusedWhileLive: 0,
});

const lateCall = (use: ActivityUse): LateCall => ({
  eventId: use.eventId,
  action: use.action,
  at: use.at,
  ...(use.errorCode ? { errorCode: use.errorCode } : {}),
  outcome: outcomeOf(use),
});

/**
 * The activity of `uses` (CloudTrail records already read with activityOf), in the shape the
 * recorder keeps: for the on-demand LookupEvents view, which is computed, not stored.
 */
const summariseActivity = (
  grantId: string,
  uses: readonly ActivityUse[],
  endedAt: string | undefined
): GrantActivity => {
  const mine = [...new Map(uses.filter((u) => u.grantId === grantId).map((u) => [u.eventId, u])).values()].sort(
    (a, b) => a.at.localeCompare(b.at)
  );
  const actions: Record<string, number> = {};
  for (const use of mine) actions[use.action] = (actions[use.action] ?? 0) + 1;
  const filed = mine.map((use) => ({ use, ...classifyCall(use, endedAt) }));
  const late = filed.filter((c) => c.phase === 'after-end');
  const afterEndOutcomes = noOutcomes();
  for (const call of late) afterEndOutcomes[call.outcome] += 1;
  const firstRefused = filed.find((c) => c.phase !== 'live' && c.outcome === 'refused');
  const lastSucceeded = late.filter((c) => c.outcome === 'succeeded').at(-1);
  return {
    grantId,
    actions,
    calls: mine.length,
    ...(mine.length > 0 ? { firstUsedAt: mine[0]?.at, lastUsedAt: mine.at(-1)?.at } : {}),
    afterEndCount: late.length,
    afterEnd: late.slice(0, LATE_CALLS_KEPT).map((c) => lateCall(c.use)),
    afterEndOutcomes,
    ...(firstRefused ? { firstRefusedSinceEndAt: firstRefused.use.at } : {}),
    ...(lastSucceeded ? { lastSucceededAfterEndAt: lastSucceeded.use.at } : {}),
    refusedWhileLive: filed.filter((c) => c.phase === 'live' && c.outcome === 'refused').length,
  };
};

export type { ActivityUse, CloudTrailRecord, GrantActivity, LateCall, RefusedCall };
export { activityOf, GRANT_ID_PREFIX, iamActionOf, LATE_CALLS_KEPT, lateCall, NO_ACTIVITY, summariseActivity };
