import { expirePending } from '../domain/decisions.js';
import { ConcurrentUpdateError } from '../domain/errors.js';
import type { BrokerDeps } from './deps.js';

const PAGE = 100;

/**
 * Expires PENDING grants whose window has passed. The pending index is ordered by deadline, so
 * the sweep stops at the first grant that is not yet due. Safe to run concurrently and repeatedly:
 * a grant someone else moved in the meantime is simply skipped.
 */
const sweepPending = async (deps: BrokerDeps): Promise<{ expired: string[] }> => {
  const expired: string[] = [];
  let cursor: string | undefined;
  let reachedUndue = false;
  do {
    const page = await deps.store.listByState('PENDING', { limit: PAGE, ...(cursor ? { cursor } : {}) });
    for (const grant of page.items) {
      const transition = expirePending(grant, deps.clock.now());
      if (transition === undefined) {
        reachedUndue = true;
        break;
      }
      try {
        await deps.store.transition(grant, transition);
        expired.push(grant.id);
      } catch (error) {
        if (!(error instanceof ConcurrentUpdateError)) throw error;
      }
    }
    cursor = page.nextCursor;
  } while (cursor !== undefined && !reachedUndue);
  if (expired.length > 0) deps.logger.info('expired pending grants', { count: expired.length });
  return { expired };
};

export { sweepPending };
