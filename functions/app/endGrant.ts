import type { AnomalyFinding } from '../domain/anomaly.js';
import type { Caller } from '../domain/caller.js';
import { expire, finish, revoke, revokeForAnomaly } from '../domain/ending.js';
import { ConflictError } from '../domain/errors.js';
import type { Grant, Transition } from '../domain/grant.js';
import { isTerminal } from '../domain/grantState.js';
import { chainsOverAt } from '../domain/orgKill.js';
import type { BrokerDeps } from './deps.js';
import { type KillAnswer, killSessions } from './killSessions.js';
import { type Actor, mutateGrant, SYSTEM } from './mutateGrant.js';

/** What an end did about the grant's live sessions (see KillAnswer); 'not needed' when none outlived it. */
type SessionKill = KillAnswer | { readonly status: 'not needed' };

/** An ended grant, and what its end did about its sessions: the answer to done and revoke. */
interface EndedGrant {
  readonly grant: Grant;
  readonly sessionKill: SessionKill;
}

/**
 * Whether the grant's end recorded a kill (a credential outlived it) whose deny is still needed
 * now: on the role until the credentials expire, in the organization until chained sessions have.
 */
const killStillNeeded = (deps: BrokerDeps, grant: Grant): boolean => {
  const { credentialsValidUntil: validUntil, endedAt } = grant;
  if (validUntil === undefined || endedAt === undefined || validUntil <= endedAt) return false;
  const now = deps.clock.now().toISOString();
  return validUntil > now || (deps.orgKill !== undefined && chainsOverAt(endedAt) > now);
};

/**
 * The side effects of an ended grant, safe to run any number of times: the expiry schedule goes,
 * and when a credential outlives the end, the role's kill policy (and, when on, the organization's)
 * is re-rendered from the table, which already holds this grant's kill record, written with the end.
 */
const settleEnd = async (deps: BrokerDeps, grant: Grant): Promise<SessionKill> => {
  const cancelling =
    grant.expiresAt === undefined
      ? undefined
      : deps.expiry.cancel(grant.id).then(
          () => undefined,
          (error: Error) => error
        );
  const killing = killStillNeeded(deps, grant) ? killSessions(deps, grant.roleArn) : undefined;
  const [cancelFailure, kill] = await Promise.all([cancelling, killing]);
  const failures = [...(cancelFailure ? [cancelFailure] : []), ...(kill?.failures ?? [])];
  if (failures.length > 0) {
    // The end itself is recorded; the sweeper retries what failed here. Say so loudly.
    const reasons = failures.map((f) => f.message);
    deps.logger.error('ending side effects failed; the sweeper will retry', { grantId: grant.id, reasons });
    await deps.alerts.raise('kill-failed', { grantId: grant.id, roleArn: grant.roleArn, reasons });
  }
  return kill?.answer ?? { status: 'not needed' };
};

/**
 * The one path that ends access — done, revoke, expiry, cancel and the sweeper all come here:
 * the terminal transition (with its kill record) lands first, then the side effects follow.
 */
const endGrant = async (
  deps: BrokerDeps,
  actor: Actor,
  grantId: string,
  decide: (grant: Grant, now: Date) => Transition
): Promise<EndedGrant> => {
  const { grant } = await mutateGrant(deps, grantId, actor, decide);
  deps.logger.info('grant ended', { grantId, state: grant.state, by: grant.endedBy });
  const sessionKill = await settleEnd(deps, grant);
  return { grant, sessionKill };
};

const finishGrant = (deps: BrokerDeps, caller: Caller, grantId: string): Promise<EndedGrant> =>
  endGrant(deps, caller, grantId, (g, now) => finish(g, caller, now));

const revokeGrant = (deps: BrokerDeps, caller: Caller, grantId: string, reason: string): Promise<EndedGrant> =>
  endGrant(deps, caller, grantId, (g, now) => revoke(g, caller, deps.config.security, now, reason));

/** An anomaly rule revokes a grant on its own (the broker reads every grant, as for expiry). */
const revokeGrantForAnomaly = (deps: BrokerDeps, grantId: string, finding: AnomalyFinding): Promise<EndedGrant> =>
  endGrant(deps, SYSTEM, grantId, (g, now) => revokeForAnomaly(g, finding, now));

type ExpiryOutcome = 'expired' | 'already-ended' | 'not-due' | 'unknown-grant';

/**
 * What a fired expiry schedule (or the sweeper) does. Idempotent under Scheduler and Lambda
 * retries: an already-ended grant only has its side effects settled again, and a grant whose
 * expiry moved (an extension) is left alone.
 */
const expireGrant = async (deps: BrokerDeps, grantId: string): Promise<ExpiryOutcome> => {
  const grant = await deps.store.get(grantId);
  if (grant === undefined) return 'unknown-grant';
  if (isTerminal(grant.state)) {
    await settleEnd(deps, grant);
    return 'already-ended';
  }
  if (grant.expiresAt === undefined || deps.clock.now().toISOString() < grant.expiresAt) return 'not-due';
  try {
    await endGrant(deps, SYSTEM, grantId, (g, now) => expire(g, now));
    return 'expired';
  } catch (error) {
    // Someone ended it between our read and our write: settle what they ended.
    if (!(error instanceof ConflictError)) throw error;
    return expireGrant(deps, grantId);
  }
};

export type { EndedGrant, ExpiryOutcome, SessionKill };
export { endGrant, expireGrant, finishGrant, revokeGrant, revokeGrantForAnomaly, settleEnd };
