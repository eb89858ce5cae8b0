import type { Caller } from '../domain/caller.js';
import { SYSTEM_ACTOR } from '../domain/decisions.js';
import { ConcurrentUpdateError, NotFoundError } from '../domain/errors.js';
import type { Grant, Transition } from '../domain/grant.js';
import type { BrokerDeps } from './deps.js';
import { loadVisibleGrant } from './grantAccess.js';

const MAX_ATTEMPTS = 8;

/** The broker itself (schedules, sweeper): sees every grant, and is the actor its events name. */
const SYSTEM = SYSTEM_ACTOR;
type Actor = Caller | typeof SYSTEM;

const pause = (attempt: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));

const load = async (deps: BrokerDeps, grantId: string, actor: Actor): Promise<Grant> => {
  if (actor !== SYSTEM) return loadVisibleGrant(deps, grantId, actor);
  const grant = await deps.store.get(grantId);
  if (grant === undefined) throw new NotFoundError('GRANT_NOT_FOUND', `no grant ${grantId}`);
  return grant;
};

/**
 * Read, decide, write — and when another writer got there first, read and decide again. The second
 * decision sees the winner's result, so concurrent approve/deny/cancel end in exactly one outcome
 * and the losers get the domain's own error (e.g. "grant is DENIED and cannot approve").
 * `alreadyRead` saves the first read when the caller has just loaded the grant.
 */
const mutateGrant = async (
  deps: BrokerDeps,
  grantId: string,
  actor: Actor,
  decide: (grant: Grant, now: Date) => Transition,
  alreadyRead?: Grant
): Promise<Transition> => {
  for (let attempt = 1; ; attempt++) {
    const grant = attempt === 1 && alreadyRead !== undefined ? alreadyRead : await load(deps, grantId, actor);
    const transition = decide(grant, deps.clock.now());
    try {
      await deps.store.transition(grant, transition);
      return transition;
    } catch (error) {
      if (!(error instanceof ConcurrentUpdateError) || attempt >= MAX_ATTEMPTS) throw error;
      await pause(attempt);
    }
  }
};

export type { Actor };
export { mutateGrant, SYSTEM };
