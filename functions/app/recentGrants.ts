import type { Grant } from '../domain/grant.js';
import { keepRecent } from './recentlyUsed.js';

const CAPACITY = 1000;

/**
 * The grants this process last wrote, for re-vends. A cached grant may be stale — that is safe:
 * the vend is recorded by a write conditioned on the grant's state and version, and credentials
 * reach the caller only after that write succeeds. A stale entry costs one retry, never access.
 */
class RecentGrants {
  readonly #grants = new Map<string, Grant>();

  get(id: string): Grant | undefined {
    return this.#grants.get(id);
  }

  remember(grant: Grant): void {
    keepRecent(this.#grants, grant.id, grant, CAPACITY);
  }
}

export { RecentGrants };
