/**
 * How the policy engine asks Cedar: several actions about one principal, role and context at once.
 *
 * `sliced` (the default) makes one Cedar call for all the actions, over the policies whose scope can
 * match one of them on that role, each in its probe form (functions/policy/policySlices.ts), with only
 * the context attributes those policies read. Cedar reports which policies are satisfied and which
 * failed; each action's answer is then what Cedar itself decides from them: denied by a satisfied
 * forbid, else allowed by a satisfied permit, else denied. Each call costs in proportion to the
 * policies and values it carries (docs/policy-performance.md), so this is several times faster.
 *
 * `perAction` asks Cedar once per action with the whole policy set and the schema, validating each
 * request: slower, and the reference the tests and the benchmark compare `sliced` with.
 */
import { cedar, type EntityJson, type EntityUidJson } from '../policy/cedar.js';
import type { BrokerPolicies, CompiledPolicy } from '../policy/policySet.js';
import { JIT, type PolicyAction } from '../policy/schema.js';
import { mustLoad, nextSetId, oneLevel, policySlices, visibleContext, visibleEntities } from './cedarSlices.js';

interface Evaluation {
  readonly allowed: boolean;
  /** Determining policies: the permits of an allow, the forbids of a deny. */
  readonly reasons: readonly string[];
  readonly errors: readonly string[];
}

/** One question to Cedar: may `principal` do each of `actions` on the catalog role `role`? */
interface CedarQuestion<A extends PolicyAction> {
  readonly actions: readonly A[];
  readonly principal: EntityUidJson;
  readonly role: string;
  /** Entity references written as `{ __entity: { type, id } }`, which Cedar reads without a schema. */
  readonly context: Record<string, unknown>;
  readonly entities: readonly EntityJson[];
}

type Evaluate = <A extends PolicyAction>(question: CedarQuestion<A>) => Readonly<Record<A, Evaluation>>;

type EvaluationMode = 'sliced' | 'perAction';

interface PolicyError {
  readonly id: string;
  readonly message: string;
}

const uid = (type: string, id: string): EntityUidJson => ({ type, id });

/** Cedar's decision as the broker reads it. */
const judged = (
  decision: 'allow' | 'deny',
  reason: readonly string[],
  errored: readonly PolicyError[],
  byId: ReadonlyMap<string, CompiledPolicy>
): Evaluation => {
  // A forbid that failed to evaluate would be skipped by Cedar, i.e. fail open: deny instead.
  const erroredForbids = errored.filter((e) => byId.get(e.id)?.effect === 'forbid');
  if (decision === 'allow' && erroredForbids.length > 0) {
    return {
      allowed: false,
      reasons: erroredForbids.map((e) => e.id),
      errors: errored.map((e) => `${e.id}: ${e.message}`),
    };
  }
  return {
    allowed: decision === 'allow',
    reasons: [...reason].sort(),
    errors: errored.map((e) => `policy \`${e.id}\` could not be evaluated: ${e.message}`),
  };
};

/** Fail closed: a request Cedar cannot evaluate is denied for every action asked, and says why. */
const unanswered = (errors: readonly { message: string }[]): Evaluation => ({
  allowed: false,
  reasons: [],
  errors: errors.map((e) => e.message),
});

const eachAction = <A extends PolicyAction>(actions: readonly A[], answer: (action: A) => Evaluation) =>
  Object.fromEntries(actions.map((action) => [action, answer(action)])) as Record<A, Evaluation>;

const perActionEvaluator = (policies: BrokerPolicies, byId: ReadonlyMap<string, CompiledPolicy>): Evaluate => {
  let loaded: { setId: string; schemaName: string } | undefined;
  const load = () => {
    const ids = { setId: nextSetId('policies'), schemaName: nextSetId('schema') };
    mustLoad(
      cedar.preparsePolicySet(ids.setId, {
        staticPolicies: Object.fromEntries(policies.policies.map((p) => [p.id, p.text])),
      })
    );
    mustLoad(cedar.preparseSchema(ids.schemaName, policies.schema));
    return ids;
  };
  return (question) => {
    loaded ??= load();
    const { setId, schemaName } = loaded;
    return eachAction(question.actions, (action) => {
      const answer = cedar.statefulIsAuthorized({
        principal: question.principal,
        action: uid(JIT.action, action),
        resource: uid(JIT.role, question.role),
        context: question.context as never,
        entities: question.entities as EntityJson[],
        preparsedPolicySetId: setId,
        preparsedSchemaName: schemaName,
        validateRequest: true,
      });
      if (answer.type === 'failure') return unanswered(answer.errors);
      const { decision, diagnostics } = answer.response;
      const errored = diagnostics.errors.map((e) => ({ id: e.policyId, message: e.error.message }));
      return judged(decision, diagnostics.reason, errored, byId);
    });
  };
};

const slicedEvaluator = (policies: BrokerPolicies, byId: ReadonlyMap<string, CompiledPolicy>): Evaluate => {
  const { sliceFor } = policySlices(policies);
  const unsliced = perActionEvaluator(policies, byId);
  return (question) => {
    const flat = oneLevel(question.entities);
    const slice = sliceFor(question.actions, question.role, question.principal, question.entities, flat);
    const { members, setId } = slice;
    if (setId === undefined) return unsliced(question);
    const answer = cedar.statefulIsAuthorized({
      principal: question.principal,
      action: uid(JIT.action, question.actions[0] ?? 'request'),
      resource: uid(JIT.role, question.role),
      context: visibleContext(question.context, slice) as never,
      entities: visibleEntities(question.entities, slice, flat),
      preparsedPolicySetId: setId,
    });
    if (answer.type === 'failure') return eachAction(question.actions, () => unanswered(answer.errors));
    const { diagnostics } = answer.response;
    const satisfied = diagnostics.reason.flatMap((id) => members.get(id) ?? []);
    const errored = diagnostics.errors.flatMap((e) => {
      const member = members.get(e.policyId);
      return member ? [{ member, message: e.error.message }] : [];
    });
    return eachAction(question.actions, (action) => {
      const holds = satisfied.filter((m) => m.actions.has(action)).map((m) => m.policy);
      const forbids = holds.filter((p) => p.effect === 'forbid').map((p) => p.id);
      const permits = holds.filter((p) => p.effect === 'permit').map((p) => p.id);
      const failed = errored
        .filter((e) => e.member.actions.has(action))
        .map((e) => ({ id: e.member.policy.id, message: e.message }));
      const decision = forbids.length === 0 && permits.length > 0 ? 'allow' : 'deny';
      return judged(decision, forbids.length > 0 ? forbids : permits, failed, byId);
    });
  };
};

/** `byId`: the policies by id, as the engine keeps them. */
const cedarEvaluator = (
  policies: BrokerPolicies,
  byId: ReadonlyMap<string, CompiledPolicy>,
  mode: EvaluationMode = 'sliced'
): Evaluate => (mode === 'sliced' ? slicedEvaluator(policies, byId) : perActionEvaluator(policies, byId));

export type { CedarQuestion, Evaluate, Evaluation, EvaluationMode };
export { cedarEvaluator };
