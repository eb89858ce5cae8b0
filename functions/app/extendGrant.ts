import type { Caller } from '../domain/caller.js';
import type { CatalogRole } from '../domain/catalog.js';
import { ConflictError, ForbiddenError, ValidationError } from '../domain/errors.js';
import { assertExtendable, requestExtension } from '../domain/extension.js';
import type { Grant } from '../domain/grant.js';
import type { BrokerDeps } from './deps.js';
import { loadVisibleGrant } from './grantAccess.js';
import { mutateGrant } from './mutateGrant.js';
import { type NarrowedScope, narrowScope } from './narrowScope.js';
import { requestFacts } from './requestGrant.js';

/**
 * The grant's task, checked again against today's catalog: the role's ceiling may have narrowed
 * since it was approved. A task that no longer fits is not extended (the grant runs on to its
 * current end) rather than narrowed behind the requester's back: approvers approved this task,
 * and a different one is a new request.
 */
const currentScope = async (deps: BrokerDeps, grant: Grant, role: CatalogRole): Promise<NarrowedScope> => {
  try {
    return await narrowScope(deps.actions, role, grant.scope);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    throw new ConflictError(
      'SCOPE_NO_LONGER_ALLOWED',
      `grant ${grant.id} cannot be extended: its task no longer fits what role ${role.id} allows today (${error.message}). ` +
        'It runs on until it ends; request a new grant within the current ceiling',
      { cause: error }
    );
  }
};

/**
 * The requester asks for more time; approvers decide with approve/deny, as for the grant itself.
 * It is asked like a new request of the whole new length: the task must still fit the role's
 * ceiling, the policies are asked again now (the `request` decision, with the new total duration
 * and today's context), and the grant's whole life stays within the longest the role and those
 * policies allow — so extensions cannot add up past it.
 */
const extendGrant = async (
  deps: BrokerDeps,
  caller: Caller,
  grantId: string,
  request: { durationSeconds: number; reason: string }
): Promise<Grant> => {
  const read = await loadVisibleGrant(deps, grantId, caller);
  const now = deps.clock.now();
  assertExtendable(read, caller, now);
  const role = deps.config.catalog.roles.get(read.roleId);
  if (role === undefined) {
    throw new ValidationError(
      'UNKNOWN_ROLE',
      `role '${read.roleId}' is no longer in the catalog; it cannot be extended`
    );
  }
  const narrowed = await currentScope(deps, read, role);
  const question = {
    role,
    scope: read.scope,
    durationSeconds: read.durationSeconds + request.durationSeconds,
    reason: request.reason,
    ...(read.ticket === undefined ? {} : { ticket: read.ticket }),
    breakGlass: read.breakGlass === true,
    now,
    extending: read.id,
  };
  const decision = await deps.policy.decideRequest(await requestFacts(deps, caller, question, narrowed));
  if (!decision.eligible) {
    throw new ForbiddenError('POLICY_DENIED', `the extension is denied: ${decision.messages.join('; ')}`);
  }
  const renewed =
    narrowed.sessionPolicy === read.sessionPolicy
      ? undefined
      : { sessionPolicy: narrowed.sessionPolicy, privilegeWidth: narrowed.privilegeWidth };
  const { grant } = await mutateGrant(
    deps,
    grantId,
    caller,
    (g, at) =>
      requestExtension(g, caller, at, {
        ...request,
        maxTotalSeconds: Math.min(role.maxDurationSeconds, decision.maxDurationSeconds),
        permittedBy: decision.permittedBy,
        ...(renewed === undefined ? {} : { renewed }),
      }),
    read
  );
  deps.logger.info('grant extension requested', {
    grantId,
    requester: caller.userId,
    seconds: request.durationSeconds,
    permittedBy: decision.permittedBy,
  });
  return grant;
};

export { extendGrant };
