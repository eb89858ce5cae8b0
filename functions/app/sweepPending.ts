import { expirePending } from '../domain/decisions.js';
import { ConcurrentUpdateError } from '../domain/errors.js';
import type { BrokerDeps } from './deps.js';
import { dueGrants } from './dueGrants.js';

/**
 * Expires PENDING grants whose window has passed. Safe to run concurrently and repeatedly: a grant
 * someone else moved in the meantime is simply skipped.
 */
const sweepPending = async (deps: BrokerDeps): Promise<{ expired: string[] }> => {
  const expired: string[] = [];
  for (const grant of await dueGrants(deps, 'PENDING')) {
    const transition = expirePending(grant, deps.clock.now());
    if (transition === undefined) continue;
    try {
      await deps.store.transition(grant, transition);
      expired.push(grant.id);
    } catch (error) {
      if (!(error instanceof ConcurrentUpdateError)) throw error;
    }
  }
  if (expired.length > 0) deps.logger.info('expired pending grants', { count: expired.length });
  return { expired };
};

export { sweepPending };
