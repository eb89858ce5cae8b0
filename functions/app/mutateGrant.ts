import type { Caller } from '../domain/caller.js';
import { ConcurrentUpdateError } from '../domain/errors.js';
import type { Grant, Transition } from '../domain/grant.js';
import type { BrokerDeps } from './deps.js';
import { loadVisibleGrant } from './grantAccess.js';

const MAX_ATTEMPTS = 8;

const pause = (attempt: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));

/**
 * Read, decide, write — and when another writer got there first, read and decide again. The second
 * decision sees the winner's result, so concurrent approve/deny/cancel end in exactly one outcome
 * and the losers get the domain's own error (e.g. "grant is DENIED and cannot approve").
 */
const mutateGrant = async (
  deps: BrokerDeps,
  grantId: string,
  caller: Caller,
  decide: (grant: Grant, now: Date) => Transition
): Promise<Grant> => {
  for (let attempt = 1; ; attempt++) {
    const grant = await loadVisibleGrant(deps, grantId, caller);
    const transition = decide(grant, deps.clock.now());
    try {
      await deps.store.transition(grant, transition);
      return transition.grant;
    } catch (error) {
      if (!(error instanceof ConcurrentUpdateError) || attempt >= MAX_ATTEMPTS) throw error;
      await pause(attempt);
    }
  }
};

export { mutateGrant };
