import type { Grant } from '../domain/grant.js';
import type { GrantState } from '../domain/grantState.js';
import type { BrokerDeps } from './deps.js';

const PAGE = 100;

/**
 * Open grants in `state` whose deadline (pending window or expiry) has passed. The state index is
 * ordered by that deadline, so reading stops at the first grant that is not yet due.
 */
const dueGrants = async (deps: BrokerDeps, state: GrantState): Promise<Grant[]> => {
  const now = deps.clock.now().toISOString();
  const deadline = (grant: Grant) => (state === 'PENDING' ? grant.pendingUntil : grant.expiresAt);
  const due: Grant[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.store.listByState(state, { limit: PAGE, ...(cursor ? { cursor } : {}) });
    for (const grant of page.items) {
      const at = deadline(grant);
      if (at === undefined || at > now) return due;
      due.push(grant);
    }
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return due;
};

export { dueGrants };
