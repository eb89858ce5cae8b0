import { loggedError } from '../domain/errors.js';
import type { Transition } from '../domain/grant.js';
import type { GrantedRoles, Logger } from '../ports.js';
import type { BrokerDeps } from './deps.js';

/**
 * Notes each role at most once per process, and never fails its caller: a grant must not be
 * refused because its role could not be noted. A note that failed is logged and not remembered,
 * so the next grant on the role tries again. Concurrent first notes of a role may both write:
 * the write is idempotent.
 */
class NotedOncePerProcess implements GrantedRoles {
  readonly #inner: GrantedRoles;
  readonly #logger: Logger;
  readonly #noted = new Set<string>();

  constructor(inner: GrantedRoles, logger: Logger) {
    this.#inner = inner;
    this.#logger = logger;
  }

  async note(roleId: string): Promise<void> {
    if (this.#noted.has(roleId)) return;
    try {
      await this.#inner.note(roleId);
      // Roles come from the catalog (a request for any other is refused first): the set stays small.
      this.#noted.add(roleId);
    } catch (failure) {
      this.#logger.error('role not recorded among the roles with grants; its next grant tries again', {
        roleId,
        error: loggedError(failure),
      });
    }
  }

  list(): Promise<readonly string[]> {
    return this.#inner.list();
  }
}

/**
 * Stores a just-opened grant (with `then`, as GrantStore.create) and notes its role among the roles
 * with grants alongside the write, so the note adds no wait. It fails only as the write does.
 */
const createGrant = async (deps: BrokerDeps, opened: Transition, then?: Transition): Promise<void> => {
  await Promise.all([deps.store.create(opened, then), deps.grantedRoles.note(opened.grant.roleId)]);
};

/**
 * The roles whose grants a report or review reads: the catalog's, in its order, then every other
 * role that has had a grant (one removed from the catalog keeps its history), sorted.
 */
const rolesWithGrants = async (deps: BrokerDeps): Promise<readonly string[]> => {
  const catalog = [...deps.config.catalog.roles.keys()];
  const retired = (await deps.grantedRoles.list()).filter((roleId) => !deps.config.catalog.roles.has(roleId));
  return [...catalog, ...[...new Set(retired)].sort()];
};

export { createGrant, NotedOncePerProcess, rolesWithGrants };
