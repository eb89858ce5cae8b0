import { type AuditEvent, type AuditEventDraft, GENESIS_HASH, type HeadSignature, sealEvent } from './auditChain.js';
import type { CatalogRole } from './catalog.js';
import { formatDuration } from './duration.js';
import { ValidationError } from './errors.js';
import type { Extension } from './extension.js';
import { type GrantAction, type GrantState, nextState } from './grantState.js';
import type { Workload } from './workload.js';

/** STS will not issue a session shorter than this, so no grant may be shorter either. */
const MIN_GRANT_SECONDS = 900;

/** IAM condition block: operator → condition key → value(s), as in a policy statement. */
type ScopeConditions = Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;

interface TaskScope {
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  /** Optional extra conditions on the task (e.g. aws:RequestedRegion), copied into the session policy. */
  readonly conditions?: ScopeConditions;
}

/** What a requester asks for. Who asks comes from authentication, never from here. */
interface GrantRequest {
  readonly role: string;
  readonly scope: TaskScope;
  readonly durationSeconds: number;
  readonly reason: string;
  readonly ticket?: string;
  /** Ask to take the role now, without approvals (only where a policy permits `breakGlass`). */
  readonly breakGlass?: boolean;
}

/**
 * The CI job a workload grant was vended to: who (immutable ids), which run and job, and which
 * deploy. Only that job may re-vend or end it (docs/ci.md). The token itself is never stored.
 */
interface GrantWorkload
  extends Pick<
    Workload,
    | 'platform'
    | 'issuerId'
    | 'repository'
    | 'repositoryId'
    | 'owner'
    | 'ownerId'
    | 'ref'
    | 'refProtected'
    | 'environment'
    | 'workflowRef'
    | 'workflowSha'
    | 'runnerEnvironment'
    | 'eventName'
    | 'runId'
    | 'runAttempt'
    | 'jobId'
    | 'actor'
  > {
  readonly template: string;
  readonly inputs: Readonly<Record<string, string>>;
  /** SHA-256 of the opening token's `jti`: joins the grant to the issuer's records without keeping it. */
  readonly tokenIdHash: string;
}

/** A review security owes a grant after the fact (break-glass). */
interface AfterReview {
  readonly required: true;
  readonly reviewedBy?: string;
  readonly reviewedAt?: string;
  readonly comment?: string;
}

/**
 * The approval rule a policy decision gave this request (approvers, quorum, pending window) and
 * the longest it may last; `source` names the policies it came from, for messages.
 */
interface ApprovalRule {
  readonly approvers: readonly string[];
  readonly required: number;
  readonly pendingWindowSeconds: number;
  readonly maxDurationSeconds: number;
  readonly source: readonly string[];
}

interface Approval {
  readonly by: string;
  readonly at: string;
  readonly comment?: string;
}

interface Grant {
  readonly id: string;
  readonly requester: string;
  readonly roleId: string;
  readonly roleArn: string;
  readonly accountId: string;
  readonly scope: TaskScope;
  readonly durationSeconds: number;
  readonly reason: string;
  readonly ticket?: string;
  readonly state: GrantState;
  /** Equals the sequence number of the grant's latest audit event. */
  readonly version: number;
  readonly createdAt: string;
  readonly pendingUntil: string;
  /** The approval rule as policy decided it at request time: later policy edits don't move it. */
  readonly approvers: readonly string[];
  readonly requiredApprovals: number;
  readonly approvals: readonly Approval[];
  readonly approvedAt?: string;
  /** Access time counts from approval, not from the request. */
  readonly expiresAt?: string;
  readonly endedAt?: string;
  /** Who ended it and why (done, revoke, expiry, cancel, deny). */
  readonly endedBy?: string;
  readonly endReason?: string;
  readonly catalogVersion: string;
  /** The STS session policy generated from the scope at request time; vending uses it as is. */
  readonly sessionPolicy: string;
  /** How many concrete IAM actions the session policy allows, wildcards expanded. */
  readonly privilegeWidth: number;
  /**
   * Actions that let access outlive the kill (chaining into other roles, creating credentials…)
   * which the task named exactly, so its session policy does not guard them (docs/vending.md).
   * Derived from the scope at request time; absent when there are none.
   */
  readonly mayOutliveKill?: readonly string[];
  /** How many times credentials were vended, and until when the latest-expiring one is valid. */
  readonly vendCount: number;
  readonly credentialsValidUntil?: string;
  /** More time asked for while the grant runs, waiting for the same approvals as the grant. */
  readonly extension?: Extension;
  /** Taken with break-glass: approved at once by policy, and reviewed by security afterwards. */
  readonly breakGlass?: boolean;
  readonly review?: AfterReview;
  /** Set on grants a CI job opened with its OIDC token (docs/ci.md). */
  readonly workload?: GrantWorkload;
  /** Hash of the latest audit event; the chain is verified against it. */
  readonly chainHead: string;
  /**
   * The latest event's signature (docs/audit.md): the broker checks it before it extends the chain,
   * so a record changed outside the broker is not signed over. Added by the store's signing layer.
   */
  readonly chainSignature?: HeadSignature;
}

/**
 * A deny the target role must carry for one ended grant's sessions until its last credential
 * would have expired anyway. Written with the transition that ends the grant: intent first.
 */
interface KillRecord {
  readonly grantId: string;
  readonly roleArn: string;
  /** The value the deny matches on `aws:SourceIdentity`: the grant id, set at vend time. */
  readonly sourceIdentity: string;
  readonly endedAt: string;
  readonly until: string;
}

/** A grant after a transition, and the audit event that records it. Stored together or not at all. */
interface Transition {
  readonly grant: Grant;
  readonly event: AuditEvent;
  readonly kill?: KillRecord;
}

const addSeconds = (iso: string, seconds: number): string => new Date(Date.parse(iso) + seconds * 1000).toISOString();

const openGrant = (input: {
  id: string;
  requester: string;
  request: GrantRequest;
  role: CatalogRole;
  /** From the policy decision (PolicyEngine.decideRequest). */
  rule: ApprovalRule;
  catalogVersion: string;
  /** The narrowed scope, computed by the app layer from the action catalog. */
  narrowed: { sessionPolicy: string; privilegeWidth: number; outlivingActions?: readonly string[] };
  now: Date;
  /** The policy decision's explanation, kept in the `grant.requested` event. */
  explanation?: Readonly<Record<string, unknown>>;
  workload?: GrantWorkload;
}): Transition => {
  const { id, requester, request, role, rule, now } = input;
  const maxSeconds = Math.min(role.maxDurationSeconds, rule.maxDurationSeconds);
  const inRange =
    Number.isInteger(request.durationSeconds) &&
    request.durationSeconds >= MIN_GRANT_SECONDS &&
    request.durationSeconds <= maxSeconds;
  if (!inRange) {
    const limitedBy =
      maxSeconds < role.maxDurationSeconds && rule.source.length > 0
        ? ` (limited by policy ${rule.source.map((s) => `\`${s}\``).join(', ')})`
        : '';
    throw new ValidationError(
      'DURATION_OUT_OF_RANGE',
      // Both units: the API speaks seconds, people typed `--for 10h`.
      `durationSeconds must be between ${MIN_GRANT_SECONDS} (${formatDuration(MIN_GRANT_SECONDS)}) and ${maxSeconds} (${formatDuration(maxSeconds)}) for role ${role.id}${limitedBy} (got ${request.durationSeconds}${Number.isInteger(request.durationSeconds) && request.durationSeconds > 0 ? `, ${formatDuration(request.durationSeconds)}` : ''})`
    );
  }
  const createdAt = now.toISOString();
  const outliving = input.narrowed.outlivingActions ?? [];
  const mayOutliveKill = outliving.length === 0 ? {} : { mayOutliveKill: outliving };
  const draft: AuditEventDraft = {
    type: 'grant.requested',
    actor: requester,
    at: createdAt,
    toState: 'PENDING',
    details: {
      role: role.id,
      roleArn: role.roleArn,
      scope: request.scope,
      durationSeconds: request.durationSeconds,
      reason: request.reason,
      ticket: request.ticket,
      catalogVersion: input.catalogVersion,
      privilegeWidth: input.narrowed.privilegeWidth,
      ...mayOutliveKill,
      ...(request.breakGlass ? { breakGlass: true } : {}),
      ...(input.explanation === undefined ? {} : { policy: input.explanation }),
      ...(input.workload === undefined ? {} : { workload: input.workload }),
    },
  };
  const event = sealEvent(draft, id, 1, GENESIS_HASH);
  const grant: Grant = {
    id,
    requester,
    roleId: role.id,
    roleArn: role.roleArn,
    accountId: role.accountId,
    scope: request.scope,
    durationSeconds: request.durationSeconds,
    reason: request.reason,
    ...(request.ticket === undefined ? {} : { ticket: request.ticket }),
    state: 'PENDING',
    version: 1,
    createdAt,
    pendingUntil: addSeconds(createdAt, rule.pendingWindowSeconds),
    approvers: rule.approvers,
    requiredApprovals: rule.required,
    approvals: [],
    catalogVersion: input.catalogVersion,
    sessionPolicy: input.narrowed.sessionPolicy,
    privilegeWidth: input.narrowed.privilegeWidth,
    ...mayOutliveKill,
    vendCount: 0,
    ...(request.breakGlass ? { breakGlass: true, review: { required: true } as const } : {}),
    ...(input.workload === undefined ? {} : { workload: input.workload }),
    chainHead: event.hash,
  };
  return { grant, event };
};

/**
 * Moves `grant` on by one audit event. `action` undefined means the state stays as it is
 * (an approval that does not yet meet the quorum); otherwise the state machine decides.
 */
const applyTransition = (
  grant: Grant,
  action: GrantAction | undefined,
  changes: Partial<Omit<Grant, 'id' | 'state' | 'version' | 'chainHead' | 'chainSignature'>>,
  draft: Omit<AuditEventDraft, 'fromState' | 'toState'>
): Transition => {
  const toState = action === undefined ? grant.state : nextState(grant.id, grant.state, action);
  const seq = grant.version + 1;
  const event = sealEvent({ ...draft, fromState: grant.state, toState }, grant.id, seq, grant.chainHead);
  return {
    grant: { ...grant, ...changes, state: toState, version: seq, chainHead: event.hash },
    event,
  };
};

export type {
  AfterReview,
  Approval,
  ApprovalRule,
  Grant,
  GrantRequest,
  GrantWorkload,
  KillRecord,
  ScopeConditions,
  TaskScope,
  Transition,
};
export { addSeconds, applyTransition, MIN_GRANT_SECONDS, openGrant };
