import { type Caller, isAmong } from './caller.js';
import { ConflictError, ForbiddenError } from './errors.js';
import { addSeconds, applyTransition, type Grant, type Transition } from './grant.js';
import { nextState } from './grantState.js';
import { policyActor } from './policy.js';

/** The actor recorded for transitions the broker makes by itself (timeouts, sweeps). */
const SYSTEM_ACTOR = 'system';

const isPendingOverdue = (grant: Grant, now: Date): boolean =>
  grant.state === 'PENDING' && now.getTime() >= Date.parse(grant.pendingUntil);

/** Approving or denying needs a PENDING grant still inside its window, and a legitimate reviewer. */
const assertReviewable = (grant: Grant, caller: Caller, action: 'approve' | 'deny', now: Date): void => {
  nextState(grant.id, grant.state, action);
  if (isPendingOverdue(grant, now)) {
    throw new ConflictError(
      'GRANT_EXPIRED',
      `grant ${grant.id} waited for approval until ${grant.pendingUntil} and has expired; the requester must ask again`
    );
  }
  if (caller.userId === grant.requester) {
    throw new ForbiddenError('SELF_APPROVAL', `you requested grant ${grant.id}, so you cannot ${action} it`);
  }
  if (!isAmong(caller, grant.approvers)) {
    throw new ForbiddenError(
      'NOT_AN_APPROVER',
      `you are not an approver for role ${grant.roleId} (approvers: ${grant.approvers.join(', ')})`
    );
  }
};

/**
 * Records one approval. The grant becomes APPROVED when the quorum is met; access time starts then.
 * Each approver counts once, so N approvals always means N different people.
 */
const approve = (grant: Grant, caller: Caller, now: Date, comment?: string): Transition => {
  assertReviewable(grant, caller, 'approve', now);
  if (grant.approvals.some((a) => a.by === caller.userId)) {
    throw new ConflictError('ALREADY_APPROVED', `you have already approved grant ${grant.id}`);
  }
  const at = now.toISOString();
  const approvals = [...grant.approvals, { by: caller.userId, at, ...(comment ? { comment } : {}) }];
  const quorumMet = approvals.length >= grant.requiredApprovals;
  const progress = { approvals: approvals.length, required: grant.requiredApprovals, comment };
  if (!quorumMet) {
    return applyTransition(
      grant,
      undefined,
      { approvals },
      {
        type: 'grant.approval-recorded',
        actor: caller.userId,
        at,
        details: progress,
      }
    );
  }
  const expiresAt = addSeconds(at, grant.durationSeconds);
  return applyTransition(
    grant,
    'approve',
    { approvals, approvedAt: at, expiresAt },
    {
      type: 'grant.approved',
      actor: caller.userId,
      at,
      details: { ...progress, expiresAt },
    }
  );
};

const deny = (grant: Grant, caller: Caller, now: Date, comment: string): Transition => {
  assertReviewable(grant, caller, 'deny', now);
  const at = now.toISOString();
  return applyTransition(
    grant,
    'deny',
    { endedAt: at },
    {
      type: 'grant.denied',
      actor: caller.userId,
      at,
      details: { comment },
    }
  );
};

/** Only the requester withdraws a request; approvers deny instead. */
const cancel = (grant: Grant, caller: Caller, now: Date, comment?: string): Transition => {
  if (caller.userId !== grant.requester) {
    throw new ForbiddenError(
      'NOT_REQUESTER',
      `only ${grant.requester}, who requested grant ${grant.id}, can cancel it`
    );
  }
  const at = now.toISOString();
  return applyTransition(
    grant,
    'cancel',
    { endedAt: at },
    {
      type: 'grant.cancelled',
      actor: caller.userId,
      at,
      details: { comment },
    }
  );
};

/** Ends a request nobody decided on in time. Returns undefined when it is not (yet) overdue. */
const expirePending = (grant: Grant, now: Date): Transition | undefined => {
  if (!isPendingOverdue(grant, now)) return undefined;
  const at = now.toISOString();
  return applyTransition(
    grant,
    'expire',
    { endedAt: at },
    {
      type: 'grant.expired',
      actor: SYSTEM_ACTOR,
      at,
      details: { why: 'not approved within the pending window', pendingUntil: grant.pendingUntil },
    }
  );
};

/**
 * Approves a just-opened request at once because a policy says so: auto-approval, or break-glass.
 * The actor is the policy (`policy:<id>`); access time starts now, as with a human approval.
 */
const autoApprove = (grant: Grant, policyId: string, now: Date): Transition => {
  const at = now.toISOString();
  const expiresAt = addSeconds(at, grant.durationSeconds);
  return applyTransition(
    grant,
    'approve',
    { approvedAt: at, expiresAt },
    {
      type: 'grant.auto-approved',
      actor: policyActor(policyId),
      at,
      details: { policy: policyId, expiresAt, ...(grant.breakGlass ? { breakGlass: true } : {}) },
    }
  );
};

/**
 * Security closes the after-the-fact review a break-glass grant carries, once, in any state — and
 * never the person who broke the glass, even when they are in security themselves.
 */
const closeReview = (
  grant: Grant,
  caller: Caller,
  securityPrincipals: readonly string[],
  now: Date,
  comment: string
): Transition => {
  if (!isAmong(caller, securityPrincipals)) {
    throw new ForbiddenError(
      'NOT_SECURITY',
      `only security (${securityPrincipals.join(', ')}) reviews break-glass grants`
    );
  }
  if (caller.userId === grant.requester) {
    throw new ForbiddenError(
      'SELF_REVIEW',
      `you took grant ${grant.id} with break-glass, so someone else in security must review it`
    );
  }
  if (grant.review === undefined) {
    throw new ConflictError('NO_REVIEW_DUE', `grant ${grant.id} was not taken with break-glass; it needs no review`);
  }
  if (grant.review.reviewedAt !== undefined) {
    throw new ConflictError(
      'ALREADY_REVIEWED',
      `grant ${grant.id} was reviewed by ${grant.review.reviewedBy} at ${grant.review.reviewedAt}`
    );
  }
  const at = now.toISOString();
  return applyTransition(
    grant,
    undefined,
    { review: { required: true, reviewedBy: caller.userId, reviewedAt: at, comment } },
    { type: 'grant.reviewed', actor: caller.userId, at, details: { comment } }
  );
};

/** Whether a grant still waits for security's after-the-fact review. */
const reviewDue = (grant: Grant): boolean => grant.review !== undefined && grant.review.reviewedAt === undefined;

export { approve, autoApprove, cancel, closeReview, deny, expirePending, isPendingOverdue, reviewDue, SYSTEM_ACTOR };
