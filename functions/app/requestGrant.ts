import type { Caller } from '../domain/caller.js';
import type { CatalogRole } from '../domain/catalog.js';
import { ForbiddenError, ValidationError } from '../domain/errors.js';
import { type Grant, type GrantRequest, openGrant, type TaskScope } from '../domain/grant.js';
import type { RequestDecision, RequestFacts } from '../domain/policy.js';
import type { BrokerDeps } from './deps.js';
import { createGrant } from './grantedRoles.js';
import { type NarrowedScope, narrowScope } from './narrowScope.js';
import { type ApprovedOpening, openApprovedByPolicy } from './openApprovedByPolicy.js';

const DAY_MS = 24 * 3600 * 1000;
/** Enough for any sensible limit; a requester with more grants in the window counts as this many. */
const MAX_COUNTED_GRANTS = 500;

/**
 * How many grants `requester` got on `roleId` within the policy window (context.elevationsInWindow).
 * Grants that were approved (now or earlier) count; requests that never got access do not, and
 * neither does `excluding` (the grant an extension is asked for).
 */
const elevationsInWindow = async (
  deps: BrokerDeps,
  requester: string,
  roleId: string,
  now: Date,
  excluding?: string
): Promise<number> => {
  const since = now.getTime() - deps.config.policies.settings.elevationWindowDays * DAY_MS;
  let count = 0;
  let cursor: string | undefined;
  do {
    const page = await deps.store.listByRequester(requester, { limit: 100, ...(cursor ? { cursor } : {}) });
    for (const grant of page.items) {
      const counts = grant.roleId === roleId && grant.approvedAt !== undefined && grant.id !== excluding;
      if (counts && Date.parse(grant.createdAt) >= since) count++;
    }
    // Pages are newest first: once a page reaches past the window, later pages are older still.
    const oldest = page.items.at(-1);
    cursor = oldest !== undefined && Date.parse(oldest.createdAt) >= since ? page.nextCursor : undefined;
  } while (cursor !== undefined && count < MAX_COUNTED_GRANTS);
  return count;
};

/**
 * The count the policies can read for a request on `roleId`, or undefined when none of them can
 * (PolicyEngine.readsElevations): then nothing is read, and the explanation leaves the count out.
 */
const countedElevations = (
  deps: BrokerDeps,
  requester: string,
  roleId: string,
  now: Date,
  excluding?: string
): Promise<number | undefined> =>
  deps.policy.readsElevations(roleId)
    ? elevationsInWindow(deps, requester, roleId, now, excluding)
    : Promise.resolve(undefined);

/** What the `grant.requested` event keeps of the decision: enough to explain it later. */
const explanationOf = (decision: RequestDecision, facts: RequestFacts) => ({
  eligible: decision.eligible,
  autoApprove: decision.autoApprove,
  breakGlassAllowed: decision.breakGlassAllowed,
  permittedBy: decision.permittedBy,
  forbiddenBy: decision.forbiddenBy,
  messages: decision.messages,
  approvers: decision.approvers,
  requiredApprovals: decision.requiredApprovals,
  pendingWindowSeconds: decision.pendingWindowSeconds,
  maxDurationSeconds: decision.maxDurationSeconds,
  scopeWidth: facts.scopeWidth,
  // Left out when it was not counted (no policy that can apply reads it).
  ...(facts.elevationsInWindow === undefined ? {} : { elevationsInWindow: facts.elevationsInWindow }),
});

/** A task the policies are asked about: a new request, or an existing grant for longer. */
interface PolicyQuestion {
  readonly role: CatalogRole;
  readonly scope: TaskScope;
  readonly durationSeconds: number;
  readonly reason: string;
  readonly ticket?: string;
  readonly breakGlass: boolean;
  readonly now: Date;
  /** The grant being extended: not counted among the requester's elevations. */
  readonly extending?: string;
}

/**
 * The facts the `request` decision is made on: the task's own, and what the broker counts.
 * `elevations` is the count when the caller started it already (see requestGrant).
 */
const requestFacts = async (
  deps: BrokerDeps,
  caller: Caller,
  question: PolicyQuestion,
  narrowed: NarrowedScope,
  elevations: Promise<number | undefined> = countedElevations(
    deps,
    caller.userId,
    question.role.id,
    question.now,
    question.extending
  )
): Promise<RequestFacts> => {
  const counted = await elevations;
  return {
    requester: caller.userId,
    requesterGroups: caller.groups,
    role: question.role,
    actions: question.scope.actions,
    resources: question.scope.resources,
    durationSeconds: question.durationSeconds,
    reason: question.reason,
    ...(question.ticket === undefined ? {} : { ticket: question.ticket }),
    at: question.now,
    breakGlass: question.breakGlass,
    outlivingActions: narrowed.outlivingActions,
    scopeWidth: narrowed.privilegeWidth,
    ...(counted === undefined ? {} : { elevationsInWindow: counted }),
  };
};

/**
 * Opens a grant for `caller`. Everything that can be decided now is: the scope is checked against
 * the role's ceiling and the IAM action catalog, the session policy is generated, and the policies
 * decide eligibility, the approval rule, auto-approval and break-glass. A denied request stores
 * only a denial record (for the exceptions report) and answers 403 with the policies' reasons. An
 * auto-approved or break-glass request is stored APPROVED at once by `policy:<id>` (one write with
 * its request); a break-glass grant also raises an alert and owes a review. `withCredentials`: an
 * approved grant's first credentials are vended in the same call.
 */
const openRequested = async (
  deps: BrokerDeps,
  caller: Caller,
  request: GrantRequest,
  withCredentials: boolean
): Promise<ApprovedOpening> => {
  const { catalog } = deps.config;
  const role = catalog.roles.get(request.role);
  if (role === undefined) {
    throw new ValidationError(
      'UNKNOWN_ROLE',
      `role '${request.role}' is not in the catalog; known roles: ${[...catalog.roles.keys()].join(', ')}`
    );
  }
  const now = deps.clock.now();
  // The requester's recent grants are counted (a read) while the scope is checked (the action
  // catalog): neither needs the other. A refused scope answers without waiting for the count.
  const elevations = countedElevations(deps, caller.userId, role.id, now);
  elevations.catch(() => undefined);
  const narrowed = await narrowScope(deps.actions, role, request.scope);
  const breakGlass = request.breakGlass === true;
  const input = await requestFacts(deps, caller, { ...request, role, breakGlass, now }, narrowed, elevations);
  const decision = await deps.policy.decideRequest(input);
  if (!decision.eligible) {
    deps.logger.info('grant request denied by policy', {
      requester: caller.userId,
      role: role.id,
      forbiddenBy: decision.forbiddenBy,
      breakGlass,
    });
    // The only trace a refused request leaves: one small item, for the exceptions report.
    await deps.denials.record({
      at: now.toISOString(),
      requester: caller.userId,
      roleId: role.id,
      breakGlass,
      forbiddenBy: decision.forbiddenBy,
    });
    throw new ForbiddenError('POLICY_DENIED', decision.messages.join('; '));
  }
  // Break-glass is short whatever was asked: the policy's @maxDuration, 1h by default.
  const durationSeconds = breakGlass
    ? Math.max(900, Math.min(request.durationSeconds, decision.maxDurationSeconds))
    : request.durationSeconds;
  const opened = openGrant({
    id: deps.ids.grantId(),
    requester: caller.userId,
    request: { ...request, durationSeconds, ...(breakGlass ? { breakGlass: true } : {}) },
    role,
    rule: {
      approvers: decision.approvers,
      required: decision.requiredApprovals,
      pendingWindowSeconds: decision.pendingWindowSeconds,
      maxDurationSeconds: decision.maxDurationSeconds,
      source: decision.permittedBy,
    },
    catalogVersion: catalog.version,
    narrowed,
    now,
    explanation: explanationOf(decision, input),
  });
  const logRequested = () =>
    deps.logger.info('grant requested', {
      grantId: opened.grant.id,
      requester: caller.userId,
      role: role.id,
      permittedBy: decision.permittedBy,
    });
  if (decision.decidedBy === undefined || !(decision.autoApprove || breakGlass)) {
    await createGrant(deps, opened);
    logRequested();
    return { grant: opened.grant };
  }

  const answer = await openApprovedByPolicy(deps, opened, decision.decidedBy, withCredentials ? caller : undefined);
  const approved = answer.grant;
  logRequested();
  // Its vend usually follows at once: where it comes to this process (the sandbox), it needs no read.
  deps.recentGrants.remember(approved);
  if (breakGlass) {
    await deps.alerts.raise('break-glass', {
      grantId: approved.id,
      requester: caller.userId,
      role: role.id,
      policy: decision.decidedBy,
      reason: request.reason,
      expiresAt: approved.expiresAt,
    });
  }
  deps.logger.info('grant approved by policy', { grantId: approved.id, policy: decision.decidedBy, breakGlass });
  return answer;
};

/** See openRequested. */
const requestGrant = async (deps: BrokerDeps, caller: Caller, request: GrantRequest): Promise<Grant> =>
  (await openRequested(deps, caller, request, false)).grant;

/**
 * A request that, when the policies approve it at once, is answered with its first credentials too
 * (their AssumeRole overlaps the approval's write: openApprovedByPolicy). A pending request is
 * answered as by requestGrant; `vendFailure` says why an approved one came without credentials.
 */
const requestGrantWithCredentials = (deps: BrokerDeps, caller: Caller, request: GrantRequest) =>
  openRequested(deps, caller, request, true);

export { elevationsInWindow, requestFacts, requestGrant, requestGrantWithCredentials };
