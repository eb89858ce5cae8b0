import type { Caller } from '../domain/caller.js';
import { ValidationError } from '../domain/errors.js';
import { type Grant, type GrantRequest, openGrant } from '../domain/grant.js';
import type { BrokerDeps } from './deps.js';

/** Opens a PENDING grant for `caller`. Scope narrowing against the ceiling comes with vending. */
const requestGrant = async (deps: BrokerDeps, caller: Caller, request: GrantRequest): Promise<Grant> => {
  const { catalog } = deps.config;
  const role = catalog.roles.get(request.role);
  if (role === undefined) {
    throw new ValidationError(
      'UNKNOWN_ROLE',
      `role '${request.role}' is not in the catalog; known roles: ${[...catalog.roles.keys()].join(', ')}`
    );
  }
  const opened = openGrant({
    id: deps.ids.grantId(),
    requester: caller.userId,
    request,
    role,
    catalogVersion: catalog.version,
    now: deps.clock.now(),
  });
  await deps.store.create(opened);
  deps.logger.info('grant requested', { grantId: opened.grant.id, requester: caller.userId, role: role.id });
  return opened.grant;
};

export { requestGrant };
