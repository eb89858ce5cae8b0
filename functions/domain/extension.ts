import { type Caller, isAmong } from './caller.js';
import { formatDuration } from './duration.js';
import { ConflictError, ForbiddenError, ValidationError } from './errors.js';
import { addSeconds, applyTransition, type Grant, MIN_GRANT_SECONDS, type Transition } from './grant.js';

/** A request for more time on a live grant: approved like the grant itself, by the same rule. */
interface Extension {
  readonly durationSeconds: number;
  readonly reason: string;
  readonly requestedAt: string;
  readonly approvals: readonly { readonly by: string; readonly at: string; readonly comment?: string }[];
  /**
   * The task's session policy rendered again against today's catalog, when that differs from the
   * stored one (a wildcard the ceiling no longer covers as a glob, new guards): the extended time
   * is vended with it.
   */
  readonly renewed?: { readonly sessionPolicy: string; readonly privilegeWidth: number };
}

/** What the broker decided about an extension before it is recorded (app/extendGrant.ts). */
interface ExtensionRequest {
  readonly durationSeconds: number;
  readonly reason: string;
  /**
   * The longest the grant may last in all, extensions included: the role's maximum and the policy's
   * `@maxDuration` for a request of the new total, asked again now.
   */
  readonly maxTotalSeconds: number;
  /** The policies that allowed it, for the audit event and messages. */
  readonly permittedBy: readonly string[];
  readonly renewed?: Extension['renewed'];
}

const isLive = (grant: Grant, now: Date): boolean =>
  (grant.state === 'APPROVED' || grant.state === 'ACTIVE') &&
  grant.expiresAt !== undefined &&
  now.toISOString() < grant.expiresAt;

/** The checks that need nothing but the grant: who asks, and whether there is anything to extend. */
const assertExtendable = (grant: Grant, caller: Caller, now: Date): void => {
  if (caller.userId !== grant.requester) {
    throw new ForbiddenError('NOT_REQUESTER', `only ${grant.requester} can extend grant ${grant.id}`);
  }
  if (!isLive(grant, now)) {
    throw new ConflictError(
      'GRANT_NOT_LIVE',
      `grant ${grant.id} is ${grant.state} and not running; request access again`
    );
  }
  if (grant.extension !== undefined) {
    throw new ConflictError('EXTENSION_PENDING', `grant ${grant.id} already has an extension waiting for approval`);
  }
};

/**
 * The requester asks for `durationSeconds` more. The grant's whole life, extensions included, stays
 * within `maxTotalSeconds`: extending is asking for the same access for longer, not a way around
 * the longest time the role and the policies allow.
 */
const requestExtension = (grant: Grant, caller: Caller, now: Date, request: ExtensionRequest): Transition => {
  assertExtendable(grant, caller, now);
  const { durationSeconds, reason, maxTotalSeconds } = request;
  const room = maxTotalSeconds - grant.durationSeconds;
  if (room < MIN_GRANT_SECONDS) {
    throw new ValidationError(
      'EXTENSION_LIMIT_REACHED',
      `grant ${grant.id} already lasts ${formatDuration(grant.durationSeconds)} of the ${formatDuration(maxTotalSeconds)} ` +
        `role ${grant.roleId} allows in all (policy ${request.permittedBy.map((p) => `\`${p}\``).join(', ')}); ` +
        'request a new grant when this one ends'
    );
  }
  if (!Number.isInteger(durationSeconds) || durationSeconds < MIN_GRANT_SECONDS || durationSeconds > room) {
    throw new ValidationError(
      'DURATION_OUT_OF_RANGE',
      `an extension of grant ${grant.id} must be between ${formatDuration(MIN_GRANT_SECONDS)} and ${formatDuration(room)} (${MIN_GRANT_SECONDS}–${room} seconds): it lasts ` +
        `${formatDuration(grant.durationSeconds)} and role ${grant.roleId} allows ${formatDuration(maxTotalSeconds)} in all ` +
        `(got ${durationSeconds})`
    );
  }
  const at = now.toISOString();
  const renewed = request.renewed === undefined ? {} : { renewed: request.renewed };
  return applyTransition(
    grant,
    undefined,
    { extension: { durationSeconds, reason, requestedAt: at, approvals: [], ...renewed } },
    {
      type: 'grant.extension-requested',
      actor: caller.userId,
      at,
      details: {
        durationSeconds,
        reason,
        totalSeconds: grant.durationSeconds + durationSeconds,
        maxTotalSeconds,
        permittedBy: request.permittedBy,
        ...(request.renewed === undefined ? {} : { sessionPolicyRenewed: true }),
      },
    }
  );
};

const assertReviewer = (grant: Grant, caller: Caller, now: Date): Extension => {
  const extension = grant.extension;
  if (extension === undefined) {
    throw new ConflictError(
      'NOTHING_TO_REVIEW',
      `grant ${grant.id} is already ${grant.state}: it has been decided and has no extension waiting for review`
    );
  }
  if (!isLive(grant, now)) {
    throw new ConflictError('GRANT_NOT_LIVE', `grant ${grant.id} ended before its extension was decided`);
  }
  if (caller.userId === grant.requester) {
    throw new ForbiddenError('SELF_APPROVAL', `you requested grant ${grant.id}, so you cannot review its extension`);
  }
  if (!isAmong(caller, grant.approvers)) {
    throw new ForbiddenError('NOT_AN_APPROVER', `you are not an approver for role ${grant.roleId}`);
  }
  return extension;
};

/** One approval of the pending extension; at the quorum the expiry moves out by the extension. */
const approveExtension = (grant: Grant, caller: Caller, now: Date, comment?: string): Transition => {
  const extension = assertReviewer(grant, caller, now);
  if (extension.approvals.some((a) => a.by === caller.userId)) {
    throw new ConflictError('ALREADY_APPROVED', `you have already approved this extension of grant ${grant.id}`);
  }
  const at = now.toISOString();
  const approvals = [...extension.approvals, { by: caller.userId, at, ...(comment ? { comment } : {}) }];
  const progress = { approvals: approvals.length, required: grant.requiredApprovals, comment };
  if (approvals.length < grant.requiredApprovals) {
    return applyTransition(
      grant,
      undefined,
      { extension: { ...extension, approvals } },
      {
        type: 'grant.extension-approval-recorded',
        actor: caller.userId,
        at,
        details: progress,
      }
    );
  }
  const expiresAt = addSeconds(grant.expiresAt as string, extension.durationSeconds);
  return applyTransition(
    grant,
    undefined,
    {
      extension: undefined,
      expiresAt,
      durationSeconds: grant.durationSeconds + extension.durationSeconds,
      ...(extension.renewed ?? {}),
    },
    {
      type: 'grant.extended',
      actor: caller.userId,
      at,
      details: { ...progress, previousExpiresAt: grant.expiresAt, expiresAt, reason: extension.reason },
    }
  );
};

/** An approver turns the extension down; the grant runs on to its current expiry. */
const denyExtension = (grant: Grant, caller: Caller, now: Date, comment: string): Transition => {
  assertReviewer(grant, caller, now);
  return applyTransition(
    grant,
    undefined,
    { extension: undefined },
    {
      type: 'grant.extension-denied',
      actor: caller.userId,
      at: now.toISOString(),
      details: { comment },
    }
  );
};

export type { Extension, ExtensionRequest };
export { approveExtension, assertExtendable, denyExtension, requestExtension };
