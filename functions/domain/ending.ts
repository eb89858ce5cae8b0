import { type AnomalyFinding, anomalyActor } from './anomaly.js';
import { type Caller, isAmong } from './caller.js';
import { SYSTEM_ACTOR } from './decisions.js';
import { ConflictError, ForbiddenError } from './errors.js';
import { addSeconds, applyTransition, type Grant, type KillRecord, type Transition } from './grant.js';
import type { GrantAction } from './grantState.js';

/** Clock skew between the broker, STS and IAM: a kill outlives the credentials by this much. */
const KILL_MARGIN_SECONDS = 300;

/**
 * The terminal transition that ends access, with a kill record whenever a vended credential would
 * still be valid after the end. The kill is keyed on the grant's source identity, so it also
 * covers credentials vended but not yet seen by this read: there are none, because credentials
 * are returned to the user only after their vend is recorded.
 */
const endAccess = (
  grant: Grant,
  action: Extract<GrantAction, 'finish' | 'revoke' | 'expire'>,
  actor: string,
  now: Date,
  details: Record<string, unknown>
): Transition => {
  const at = now.toISOString();
  const outlives = grant.credentialsValidUntil !== undefined && grant.credentialsValidUntil > at;
  const kill: KillRecord | undefined = outlives
    ? {
        grantId: grant.id,
        roleArn: grant.roleArn,
        sourceIdentity: grant.id,
        endedAt: at,
        until: addSeconds(grant.credentialsValidUntil as string, KILL_MARGIN_SECONDS),
      }
    : undefined;
  const type = { finish: 'grant.ended', revoke: 'grant.revoked', expire: 'grant.expired' }[action];
  const transition = applyTransition(
    grant,
    action,
    { endedAt: at, endedBy: actor, endReason: typeof details.reason === 'string' ? details.reason : action },
    { type, actor, at, details: { ...details, sessionKill: kill === undefined ? 'not needed' : `until ${kill.until}` } }
  );
  return kill === undefined ? transition : { ...transition, kill };
};

/** "I'm done": the requester ends their own grant early. */
const finish = (grant: Grant, caller: Caller, now: Date): Transition => {
  if (caller.userId !== grant.requester) {
    throw new ForbiddenError('NOT_REQUESTER', `only ${grant.requester} can say they are done with grant ${grant.id}`);
  }
  return endAccess(grant, 'finish', caller.userId, now, { reason: 'done' });
};

/** Security ends someone's access; the reason is part of the record. */
const revoke = (grant: Grant, caller: Caller, security: readonly string[], now: Date, reason: string): Transition => {
  if (!isAmong(caller, security)) {
    throw new ForbiddenError('NOT_SECURITY', 'only security principals named in the catalog can revoke grants');
  }
  return endAccess(grant, 'revoke', caller.userId, now, { reason });
};

/**
 * An anomaly rule ends the grant on the evidence of its own sessions' calls (docs/audit.md): no
 * person acts, so the rule is the actor, and the evidence is part of the revocation's event.
 */
const revokeForAnomaly = (grant: Grant, finding: AnomalyFinding, now: Date): Transition =>
  endAccess(grant, 'revoke', anomalyActor(finding.rule), now, { reason: finding.reason, anomaly: finding.evidence });

/** The grant's time is up. Before that, a fired schedule or a sweep must not end it. */
const expire = (grant: Grant, now: Date): Transition => {
  if (grant.expiresAt === undefined || now.toISOString() < grant.expiresAt) {
    throw new ConflictError('GRANT_NOT_DUE', `grant ${grant.id} runs until ${grant.expiresAt ?? 'approval'}`);
  }
  return endAccess(grant, 'expire', SYSTEM_ACTOR, now, { reason: 'expired', expiresAt: grant.expiresAt });
};

/**
 * What the broker did about an ended grant's sessions, added to its chain without changing its
 * state: a kill put in force (`grant.sessions-killed`) or removed once the credentials were dead
 * anyway (`grant.kill-pruned`).
 */
const killFact = (
  grant: Grant,
  type: 'grant.sessions-killed' | 'grant.kill-pruned',
  details: Record<string, unknown>,
  now: Date
): Transition => applyTransition(grant, undefined, {}, { type, actor: SYSTEM_ACTOR, at: now.toISOString(), details });

export { expire, finish, KILL_MARGIN_SECONDS, killFact, revoke, revokeForAnomaly };
