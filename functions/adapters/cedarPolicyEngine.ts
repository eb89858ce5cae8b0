import type { CatalogRole } from '../domain/catalog.js';
import { ValidationError } from '../domain/errors.js';
import {
  type ApprovalCheck,
  type ApprovalFacts,
  type RequestDecision,
  type RequestFacts,
  UNCOUNTED_ELEVATIONS,
  type WorkloadDecision,
  type WorkloadFacts,
} from '../domain/policy.js';
import type { Workload } from '../domain/workload.js';
import type { EntityJson, EntityUidJson } from '../policy/cedar.js';
import type { BrokerPolicies, CompiledPolicy, PolicyRules } from '../policy/policySet.js';
import { canReadContext } from '../policy/policySlices.js';
import { JIT } from '../policy/schema.js';
import type { PolicyEngine } from '../ports.js';
import { cedarEvaluator, type Evaluation, type EvaluationMode } from './cedarEvaluator.js';
import { localTime } from './zonedTime.js';

/** Bounds on what reaches Cedar: the API already limits requests, this holds for every caller. */
const LIMITS = { setEntries: 100, groups: 200, stringChars: 2048, reasonChars: 1000, idChars: 256 } as const;

/** What a request is decided on: asked of Cedar together, in one call. */
const REQUEST_ACTIONS = ['request', 'breakGlass', 'autoApprove'] as const;

/** Used when no determining permit says otherwise. */
const DEFAULT_PENDING_WINDOW_SECONDS = 3600;
const DEFAULT_BREAK_GLASS_SECONDS = 3600;

const tooLarge = (what: string): never => {
  throw new ValidationError('POLICY_INPUT_TOO_LARGE', `${what} is too large to decide on`);
};

const boundedString = (value: string, max: number, what: string): string =>
  value.length > max ? tooLarge(what) : value;

const boundedSet = (values: readonly string[], max: number, what: string): string[] => {
  if (values.length > max) tooLarge(what);
  return [...new Set(values.map((v) => boundedString(v, LIMITS.stringChars, `an entry of ${what}`)))];
};

/** `context.mayOutliveKill` and `context.outlivingActions` (computed by the broker, so already bounded). */
const outlivingContext = (actions: readonly string[]) => ({
  mayOutliveKill: actions.length > 0,
  outlivingActions: [...actions],
});

/**
 * Entities in Cedar's JSON form: every id is a JSON string, so a hostile id (quotes, newlines,
 * `") || true ||`) is just an unusual name and can never change what a policy means.
 */
const uid = (type: string, id: string): EntityUidJson => ({ type, id });
const groupUids = (groups: readonly string[]) => groups.map((g) => uid(JIT.group, g));
/** An entity reference in the context, in the form Cedar reads with or without the schema. */
const contextRef = (ref: EntityUidJson) => ({ __entity: ref });

const userEntity = (userId: string, groups: readonly string[]): EntityJson => ({
  uid: uid(JIT.user, boundedString(userId, LIMITS.idChars, 'the user id')),
  attrs: {},
  parents: groupUids(boundedSet(groups, LIMITS.groups, 'the group list')),
});

const roleEntities = (role: CatalogRole): EntityJson[] => [
  {
    uid: uid(JIT.role, role.id),
    attrs: { id: role.id, accountId: role.accountId, privileged: role.privileged ?? false },
    parents: [uid(JIT.account, role.accountId)],
  },
  { uid: uid(JIT.account, role.accountId), attrs: {}, parents: [] },
];

const groupEntities = (groups: readonly string[]): EntityJson[] =>
  [...new Set(groups)].map((g) => ({ uid: uid(JIT.group, g), attrs: {}, parents: [] }));

/** The Workload entity's attributes (schema.cedarschema); also what `{name}` in a CI policy's @reason names. */
const workloadAttributes = (w: Workload): Record<string, string | boolean> => ({
  platform: w.platform,
  issuer: w.issuerId,
  repository: w.repository,
  repositoryId: w.repositoryId,
  owner: w.owner,
  ownerId: w.ownerId,
  ref: w.ref,
  refType: w.refType,
  refProtected: w.refProtected,
  environment: w.environment,
  workflowRef: w.workflowRef,
  workflowSha: w.workflowSha,
  eventName: w.eventName,
  runnerEnvironment: w.runnerEnvironment,
  isForkPullRequest: w.isForkPullRequest,
});

/** `ref {ref} is not protected` → `ref refs/heads/x is not protected`: the CI log names the failing claim. */
const withClaims = (reason: string, attributes: Record<string, string | boolean>): string =>
  reason.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in attributes ? JSON.stringify(attributes[name]).replace(/^"|"$/g, '') : whole
  );

interface EngineOptions {
  /** How Cedar is asked (functions/adapters/cedarEvaluator.ts); `sliced` unless comparing. */
  readonly evaluation?: EvaluationMode;
}

/**
 * The PolicyEngine on Cedar (WASM, in process). Each decision is one Cedar call over the policies
 * that can apply, prepared once per engine, action set and role at first use.
 */
const cedarPolicyEngine = (policies: BrokerPolicies, options: EngineOptions = {}): PolicyEngine => {
  const byId = new Map(policies.policies.map((p) => [p.id, p]));
  const evaluate = cedarEvaluator(policies, byId, options.evaluation);

  const rulesOf = (ids: readonly string[]): PolicyRules[] =>
    ids
      .map((id) => byId.get(id))
      .filter((p): p is CompiledPolicy => p?.effect === 'permit')
      .map((p) => p.rules);

  const denialMessages = (
    evaluation: Evaluation,
    what: string,
    explain: (reason: string) => string = (reason) => reason
  ): string[] => {
    const forbids = evaluation.reasons.filter((id) => byId.get(id)?.effect === 'forbid');
    if (forbids.length === 0) return [`no policy permits ${what}`, ...evaluation.errors];
    return [
      ...forbids.map((id) => `denied by policy \`${id}\`: ${explain(byId.get(id)?.rules.reason ?? 'no reason given')}`),
      ...evaluation.errors,
    ];
  };

  const readingElevations = new Map<string, boolean>();
  const readsElevations = (roleId: string): boolean => {
    let reads = readingElevations.get(roleId);
    if (reads === undefined) {
      reads = canReadContext(
        policies.policies.map((p) => p.json),
        'elevationsInWindow',
        { actions: REQUEST_ACTIONS, role: roleId }
      );
      readingElevations.set(roleId, reads);
    }
    return reads;
  };

  const decideRequest = async (facts: RequestFacts): Promise<RequestDecision> => {
    // Fail closed: a limit policy must not be asked without its count (it would see the stand-in).
    if (facts.elevationsInWindow === undefined && readsElevations(facts.role.id)) {
      throw new Error(`a policy on role ${facts.role.id} reads context.elevationsInWindow, and it was not counted`);
    }
    const groups = boundedSet(facts.requesterGroups, LIMITS.groups, 'the group list');
    const principal = uid(JIT.user, boundedString(facts.requester, LIMITS.idChars, 'the user id'));
    const entities = [userEntity(facts.requester, groups), ...groupEntities(groups), ...roleEntities(facts.role)];
    const context = {
      durationSeconds: facts.durationSeconds,
      reason: boundedString(facts.reason, LIMITS.reasonChars, 'the reason'),
      ticket: boundedString(facts.ticket ?? '', LIMITS.idChars, 'the ticket'),
      ...localTime(facts.at, policies.settings.timeZone),
      scopeWidth: facts.scopeWidth,
      actions: boundedSet(facts.actions, LIMITS.setEntries, 'the action list'),
      resources: boundedSet(facts.resources, LIMITS.setEntries, 'the resource list'),
      requesterGroups: groupUids(groups).map(contextRef),
      // Not counted: read by no policy that can apply (checked above); the stand-in errs towards refusal.
      elevationsInWindow: facts.elevationsInWindow ?? UNCOUNTED_ELEVATIONS,
      isBreakGlass: facts.breakGlass,
      ...outlivingContext(facts.outlivingActions),
    };
    const what = `${facts.requester} to request role ${facts.role.id}`;
    const {
      request,
      breakGlass: glass,
      autoApprove: auto,
    } = evaluate({
      actions: REQUEST_ACTIONS,
      principal,
      role: facts.role.id,
      context,
      entities,
    });
    const forbiddenOf = (e: Evaluation) =>
      e.allowed ? [] : e.reasons.filter((id) => byId.get(id)?.effect === 'forbid');

    const requestRules = request.allowed ? rulesOf(request.reasons) : [];
    const approvalLists = requestRules.flatMap((r) => (r.approvers ? [r.approvers] : []));
    const approvers = approvalLists.reduce<readonly string[]>(
      (common, list, i) => (i === 0 ? list : common.filter((a) => list.includes(a))),
      []
    );
    const requiredApprovals = Math.max(1, ...requestRules.map((r) => r.approvals ?? 1));
    const windows = requestRules.flatMap((r) => (r.pendingWindowSeconds ? [r.pendingWindowSeconds] : []));
    const pendingWindowSeconds = windows.length > 0 ? Math.min(...windows) : DEFAULT_PENDING_WINDOW_SECONDS;
    const maxOf = (rules: readonly PolicyRules[], fallback: number) =>
      Math.min(fallback, ...rules.flatMap((r) => (r.maxDurationSeconds ? [r.maxDurationSeconds] : [])));

    if (facts.breakGlass) {
      const glassRules = glass.allowed ? rulesOf(glass.reasons) : [];
      return {
        eligible: glass.allowed,
        autoApprove: false,
        breakGlassAllowed: glass.allowed,
        approvers,
        requiredApprovals,
        pendingWindowSeconds,
        maxDurationSeconds: maxOf(glassRules, Math.min(facts.role.maxDurationSeconds, DEFAULT_BREAK_GLASS_SECONDS)),
        permittedBy: glass.allowed ? glass.reasons : [],
        forbiddenBy: forbiddenOf(glass),
        messages: glass.allowed
          ? glass.errors
          : denialMessages(glass, `${facts.requester} to break glass on role ${facts.role.id}`),
        ...(glass.allowed && glass.reasons[0] ? { decidedBy: glass.reasons[0] } : {}),
      };
    }

    // A break-glass decision never auto-approves: `auto` counts only below.
    const autoApprove = request.allowed && auto.allowed;
    const messages: string[] = request.allowed ? [...request.errors] : denialMessages(request, what);
    let eligible = request.allowed;
    if (eligible && approvalLists.length > 1 && approvers.length === 0) {
      eligible = false;
      messages.push(`policies ${request.reasons.map((id) => `\`${id}\``).join(', ')} name no approver in common`);
    } else if (eligible && approvers.length === 0 && !autoApprove) {
      eligible = false;
      messages.push(
        `policies ${request.reasons.map((id) => `\`${id}\``).join(', ')} permit the request but name no @approvers, and no policy auto-approves it`
      );
    }
    const autoRules = autoApprove ? rulesOf(auto.reasons) : [];
    return {
      eligible,
      autoApprove: eligible && autoApprove,
      breakGlassAllowed: glass.allowed,
      approvers,
      requiredApprovals,
      pendingWindowSeconds,
      maxDurationSeconds: maxOf([...requestRules, ...autoRules], facts.role.maxDurationSeconds),
      permittedBy: eligible ? [...request.reasons, ...(autoApprove ? auto.reasons : [])] : [],
      forbiddenBy: forbiddenOf(request),
      messages,
      ...(eligible && autoApprove && auto.reasons[0] ? { decidedBy: auto.reasons[0] } : {}),
    };
  };

  const mayApprove = async (facts: ApprovalFacts): Promise<ApprovalCheck> => {
    const requesterGroups = boundedSet(facts.requesterGroups, LIMITS.groups, 'the group list');
    const approverGroups = boundedSet(facts.approverGroups, LIMITS.groups, 'the group list');
    const entities = [
      userEntity(facts.approver, approverGroups),
      ...(facts.requester === facts.approver ? [] : [userEntity(facts.requester, requesterGroups)]),
      ...groupEntities([...approverGroups, ...requesterGroups]),
      ...roleEntities(facts.role),
    ];
    const evaluation = evaluate({
      actions: ['approve'],
      principal: uid(JIT.user, facts.approver),
      role: facts.role.id,
      context: {
        requester: contextRef(uid(JIT.user, facts.requester)),
        requesterGroups: groupUids(requesterGroups).map(contextRef),
      },
      entities,
    }).approve;
    return {
      allowed: evaluation.allowed,
      forbiddenBy: evaluation.allowed ? [] : evaluation.reasons.filter((id) => byId.get(id)?.effect === 'forbid'),
      messages: evaluation.allowed
        ? evaluation.errors
        : denialMessages(evaluation, `${facts.approver} to approve requests for role ${facts.role.id}`),
    };
  };

  const decideWorkload = async (facts: WorkloadFacts): Promise<WorkloadDecision> => {
    const { workload, role } = facts;
    const attributes = workloadAttributes(workload);
    const principal = uid(JIT.workload, boundedString(workload.repositoryId, LIMITS.idChars, 'the repository id'));
    const entities: EntityJson[] = [
      {
        uid: principal,
        attrs: Object.fromEntries(
          Object.entries(attributes).map(([k, v]) => [
            k,
            typeof v === 'string' ? boundedString(v, LIMITS.stringChars, `claim ${k}`) : v,
          ])
        ),
        parents: [],
      },
      ...roleEntities(role),
    ];
    const context = {
      template: facts.templateId,
      inputs: boundedSet(
        Object.entries(facts.inputs).map(([k, v]) => `${k}=${v}`),
        LIMITS.setEntries,
        'the inputs'
      ),
      durationSeconds: facts.durationSeconds,
      scopeWidth: facts.scopeWidth,
      actions: boundedSet(facts.actions, LIMITS.setEntries, 'the action list'),
      resources: boundedSet(facts.resources, LIMITS.setEntries, 'the resource list'),
      ...localTime(facts.at, policies.settings.timeZone),
      ...outlivingContext(facts.outlivingActions),
    };
    const explain = (reason: string) => withClaims(reason, attributes);
    const what = `${workload.repository} (${workload.ref}) to deploy with role ${role.id}`;
    const { ciDeploy: deploy, ciForkPullRequest: fork } = evaluate({
      actions: ['ciDeploy', 'ciForkPullRequest'],
      principal,
      role: role.id,
      context,
      entities,
    });
    const forbidsOf = (e: Evaluation) => (e.allowed ? [] : e.reasons.filter((id) => byId.get(id)?.effect === 'forbid'));
    const denied = (e: Evaluation, messages: string[]): WorkloadDecision => ({
      allowed: false,
      permittedBy: [],
      forbiddenBy: forbidsOf(e),
      messages,
      maxDurationSeconds: 0,
    });
    if (!deploy.allowed) return denied(deploy, denialMessages(deploy, what, explain));
    // Fail closed: a pull request that may come from a fork needs a permit of its own.
    if (workload.isForkPullRequest) {
      if (!fork.allowed) {
        const forbidden = denialMessages(fork, '', explain).filter((m) => !m.startsWith('no policy permits'));
        return denied(fork, [
          ...forbidden,
          `event ${workload.eventName} is a pull request that may come from a fork, and no policy permits ciForkPullRequest for role ${role.id}`,
        ]);
      }
    }
    const rules = rulesOf(deploy.reasons);
    return {
      allowed: true,
      permittedBy: deploy.reasons,
      forbiddenBy: [],
      messages: deploy.errors,
      maxDurationSeconds: Math.min(
        role.maxDurationSeconds,
        ...rules.flatMap((r) => (r.maxDurationSeconds ? [r.maxDurationSeconds] : []))
      ),
    };
  };

  return { decideRequest, readsElevations, mayApprove, decideWorkload };
};

export { cedarPolicyEngine, LIMITS };
