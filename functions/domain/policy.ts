import type { CatalogRole } from './catalog.js';
import type { Workload } from './workload.js';

/**
 * What the policy engine is asked about a request. Everything here is computed by the broker
 * (caller from authentication, scope width from narrowing), never taken from a request body as is.
 */
/**
 * What the policies are given for an uncounted `elevationsInWindow`. Only policies that cannot
 * apply to the request could read it; were that judgement ever wrong, a limit (`>= N`) still
 * refuses rather than seeing a requester with no grants.
 */
const UNCOUNTED_ELEVATIONS = 1_000_000;

interface RequestFacts {
  readonly requester: string;
  readonly requesterGroups: readonly string[];
  readonly role: CatalogRole;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly durationSeconds: number;
  readonly reason: string;
  readonly ticket?: string;
  readonly at: Date;
  /** The narrowed session policy's privilegeWidth. */
  readonly scopeWidth: number;
  /**
   * Grants this requester got on this role within the configured window; left out (not counted)
   * when no policy that can decide on this role reads it (PolicyEngine.readsElevations).
   */
  readonly elevationsInWindow?: number;
  readonly breakGlass: boolean;
  /** Guarded actions the task names exactly (the grant's `mayOutliveKill`), canonical spelling. */
  readonly outlivingActions: readonly string[];
}

/** The engine's answer about a request, with everything needed to explain it. */
interface RequestDecision {
  readonly eligible: boolean;
  readonly autoApprove: boolean;
  readonly breakGlassAllowed: boolean;
  /** User ids or `group:<name>`; from the determining permits' `@approvers`. */
  readonly approvers: readonly string[];
  readonly requiredApprovals: number;
  readonly pendingWindowSeconds: number;
  /** The strictest `@maxDuration` of the determining permits, never above the catalog's. */
  readonly maxDurationSeconds: number;
  /** Ids of the permits that determined the decision (request, auto-approval or break-glass). */
  readonly permittedBy: readonly string[];
  readonly forbiddenBy: readonly string[];
  /** User-facing: why it was denied (from `@reason`), or policies that failed to evaluate. */
  readonly messages: readonly string[];
  /** The permit that approved at once (auto-approval or break-glass), recorded as `policy:<id>`. */
  readonly decidedBy?: string;
}

interface ApprovalFacts {
  readonly approver: string;
  readonly approverGroups: readonly string[];
  readonly requester: string;
  readonly requesterGroups: readonly string[];
  readonly role: CatalogRole;
}

interface ApprovalCheck {
  readonly allowed: boolean;
  readonly forbiddenBy: readonly string[];
  readonly messages: readonly string[];
}

/** What the policy engine is asked about a CI job's deploy (action `ciDeploy`). */
interface WorkloadFacts {
  readonly workload: Workload;
  readonly role: CatalogRole;
  readonly templateId: string;
  readonly inputs: Readonly<Record<string, string>>;
  /** The rendered template: what the session policy will allow. */
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly durationSeconds: number;
  readonly scopeWidth: number;
  /** Guarded actions the template names exactly (the grant's `mayOutliveKill`). */
  readonly outlivingActions: readonly string[];
  readonly at: Date;
}

interface WorkloadDecision {
  readonly allowed: boolean;
  /** The permits that allowed it (the first is recorded as the approver, `policy:<id>`). */
  readonly permittedBy: readonly string[];
  readonly forbiddenBy: readonly string[];
  /** Why it was denied, naming the claim and the rule, for the CI log. */
  readonly messages: readonly string[];
  /** The strictest `@maxDuration` of the permits, never above the role's. */
  readonly maxDurationSeconds: number;
}

/** Recorded as the actor of transitions a policy made (auto-approval, break-glass). */
const policyActor = (policyId: string): string => `policy:${policyId}`;

export type { ApprovalCheck, ApprovalFacts, RequestDecision, RequestFacts, WorkloadDecision, WorkloadFacts };
export { policyActor, UNCOUNTED_ELEVATIONS };
