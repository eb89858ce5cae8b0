import type { Caller } from './caller.js';
import { ConflictError, ForbiddenError } from './errors.js';
import { applyTransition, type Grant, type Transition } from './grant.js';
import { withGuards } from './sessionPolicy.js';

/** STS's shortest session. */
const MIN_SESSION_SECONDS = 900;
/** A Lambda's AssumeRole is role chaining, which AWS caps at one hour; longer grants re-vend. */
const MAX_SESSION_SECONDS = 3600;
const STS_NAME_MAX = 64;

/** What vending needs to know before it calls STS. */
interface VendPlan {
  readonly sessionName: string;
  readonly sourceIdentity: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly durationSeconds: number;
  /** The grant's session policy, with its guards even if it was stored before there were any. */
  readonly sessionPolicy: string;
}

/** Session tag values may not contain commas, which user ids (like STS names) may. */
const tagValue = (text: string): string => text.replace(/,/g, '_');

/**
 * `alice.g-01j…` — who, and which grant, readable in CloudTrail's assumed-role ARN. The grant id is
 * never truncated; a long user name is.
 */
const sessionNameFor = (grant: Grant): string => {
  // A CI job's session names its run: `ci.<run id>.<grant id>` (run ids are digits).
  const who = grant.workload === undefined ? grant.requester : `ci.${grant.workload.runId}`;
  const room = STS_NAME_MAX - grant.id.length - 1;
  return `${who.slice(0, room)}.${grant.id}`;
};

/** Session tags (CloudTrail shows them): the grant, and for a CI job its repository and run. */
const sessionTagsFor = (grant: Grant): Record<string, string> => ({
  'jit-grant-id': grant.id,
  'jit-requester': tagValue(grant.requester),
  'jit-role': grant.roleId,
  ...(grant.workload === undefined
    ? {}
    : {
        'jit-repository': tagValue(grant.workload.repository),
        'jit-run': tagValue(`${grant.workload.runId}.${grant.workload.runAttempt}`),
      }),
});

/**
 * Checks that `caller` may have credentials for `grant` now (its requester, while it is approved or
 * active and not expired); answers the whole seconds it has left.
 */
const assertVendable = (grant: Grant, caller: Caller, now: Date): number => {
  if (caller.userId !== grant.requester) {
    throw new ForbiddenError('NOT_REQUESTER', `only ${grant.requester}, who requested grant ${grant.id}, can use it`);
  }
  if (grant.state !== 'APPROVED' && grant.state !== 'ACTIVE') {
    throw new ConflictError(
      grant.state === 'PENDING' ? 'GRANT_NOT_APPROVED' : 'GRANT_ENDED',
      grant.state === 'PENDING'
        ? `grant ${grant.id} is still waiting for approval`
        : `grant ${grant.id} is ${grant.state}; request access again if you still need it`
    );
  }
  const remaining = Math.floor((Date.parse(grant.expiresAt ?? '') - now.getTime()) / 1000);
  if (!(remaining > 0)) {
    throw new ConflictError('GRANT_EXPIRED', `grant ${grant.id} expired at ${grant.expiresAt}`);
  }
  return remaining;
};

/**
 * Checks the vend (assertVendable) and plans the STS session: the remaining grant time clamped to
 * STS's 900 s floor and role chaining's 1 h ceiling, and the session policy with its guards.
 */
const planVend = (grant: Grant, caller: Caller, now: Date): VendPlan => {
  const remaining = assertVendable(grant, caller, now);
  return {
    sessionName: sessionNameFor(grant),
    sourceIdentity: grant.id,
    tags: sessionTagsFor(grant),
    durationSeconds: Math.min(MAX_SESSION_SECONDS, Math.max(MIN_SESSION_SECONDS, remaining)),
    sessionPolicy: withGuards(grant.sessionPolicy, grant.scope.actions),
  };
};

/**
 * Records a vend: the first one makes the grant ACTIVE. The access key id and expiry go into the
 * audit (they join CloudTrail to the grant); the secret never reaches this function.
 */
const recordVend = (
  grant: Grant,
  caller: Caller,
  issued: {
    accessKeyId: string;
    expiration: Date;
    assumedRoleArn: string;
    sessionName: string;
    durationSeconds: number;
  },
  now: Date
): Transition => {
  const expiration = issued.expiration.toISOString();
  const validUntil =
    grant.credentialsValidUntil !== undefined && grant.credentialsValidUntil > expiration
      ? grant.credentialsValidUntil
      : expiration;
  const first = grant.state === 'APPROVED';
  return applyTransition(
    grant,
    first ? 'activate' : undefined,
    { vendCount: grant.vendCount + 1, credentialsValidUntil: validUntil },
    {
      type: first ? 'grant.activated' : 'grant.credentials-issued',
      actor: caller.userId,
      at: now.toISOString(),
      details: {
        accessKeyId: issued.accessKeyId,
        expiration,
        durationSeconds: issued.durationSeconds,
        sessionName: issued.sessionName,
        assumedRoleArn: issued.assumedRoleArn,
      },
    }
  );
};

export type { VendPlan };
export { assertVendable, MAX_SESSION_SECONDS, MIN_SESSION_SECONDS, planVend, recordVend, sessionNameFor };
