import type { Caller } from '../domain/caller.js';
import { ValidationError } from '../domain/errors.js';
import { type Grant, type GrantRequest, openGrant } from '../domain/grant.js';
import type { BrokerDeps } from './deps.js';
import { narrowScope } from './narrowScope.js';

/**
 * Opens a PENDING grant for `caller`. Everything that can be decided now is: the scope is checked
 * against the role's ceiling and the IAM action catalog, and the session policy is generated and
 * stored, so approvers see exactly what would be vended and vending does no policy work.
 */
const requestGrant = async (deps: BrokerDeps, caller: Caller, request: GrantRequest): Promise<Grant> => {
  const { catalog } = deps.config;
  const role = catalog.roles.get(request.role);
  if (role === undefined) {
    throw new ValidationError(
      'UNKNOWN_ROLE',
      `role '${request.role}' is not in the catalog; known roles: ${[...catalog.roles.keys()].join(', ')}`
    );
  }
  const narrowed = await narrowScope(deps.actions, role, request.scope);
  const opened = openGrant({
    id: deps.ids.grantId(),
    requester: caller.userId,
    request,
    role,
    catalogVersion: catalog.version,
    narrowed,
    now: deps.clock.now(),
  });
  await deps.store.create(opened);
  deps.logger.info('grant requested', { grantId: opened.grant.id, requester: caller.userId, role: role.id });
  return opened.grant;
};

export { requestGrant };
