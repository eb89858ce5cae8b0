/**
 * What the engine needs to know about a policy to ask Cedar about several actions in one call
 * (docs/policy-performance.md): which actions and which role its scope can match, what of a request
 * its conditions can observe, and its "probe" form — the same principal, resource and conditions as a
 * permit with any action, so Cedar reports whether it is satisfied instead of what it decides.
 *
 * Pure functions over Cedar's JSON policy form (the EST); nothing here calls Cedar.
 */
import type { PolicyJson } from './cedar.js';
import { JIT } from './schema.js';

/** Which requests a policy's scope can match, as far as the engine narrows by them. */
interface PolicyScope {
  /** Action ids (`request`, `approve`…), or `any` for an unconstrained action. */
  readonly actions: ReadonlySet<string> | 'any';
  /** The one role `resource == Jit::Role::"…"` names, or `any` for every other resource constraint. */
  readonly role: string | 'any';
}

type EntityRef = { type: string; id: string } | { __entity: { type: string; id: string } };

const plainRef = (ref: EntityRef): { type: string; id: string } => ('__entity' in ref ? ref.__entity : ref);

/**
 * The action constraint read as a set of action ids. The schema declares no action groups (a test
 * holds it to that), so `action in Jit::Action::"x"` matches exactly `x`, as `==` does.
 */
const actionsOf = (policy: PolicyJson): PolicyScope['actions'] => {
  const { action } = policy;
  if (action.op === 'All') return 'any';
  const refs = 'entities' in action ? action.entities : 'entity' in action ? [action.entity] : [];
  return new Set(
    refs
      .map((ref) => plainRef(ref as EntityRef))
      .filter((ref) => ref.type === JIT.action)
      .map((ref) => ref.id)
  );
};

const roleOf = (policy: PolicyJson): string | 'any' => {
  const { resource } = policy;
  if (resource.op !== '==' || !('entity' in resource)) return 'any';
  const ref = plainRef(resource.entity as EntityRef);
  return ref.type === JIT.role ? ref.id : 'any';
};

const scopeOf = (policy: PolicyJson): PolicyScope => ({ actions: actionsOf(policy), role: roleOf(policy) });

const appliesTo = (scope: PolicyScope, action: string, role: string): boolean =>
  (scope.actions === 'any' || scope.actions.has(action)) && (scope.role === 'any' || scope.role === role);

const isVar = (expr: unknown, name: string): boolean =>
  expr !== null && typeof expr === 'object' && (expr as { Var?: unknown }).Var === name;

/**
 * The operands of one expression node, read by the node's operator (an expression is an object
 * with one key): the maps of `Record` literals and operator payloads are not expressions themselves.
 */
const operandsOf = (op: string, payload: unknown): unknown[] => {
  if (op === 'Value' || op === 'Var' || op === 'Slot' || payload === null || typeof payload !== 'object') return [];
  if (Array.isArray(payload)) return payload; // Set literals and extension function calls
  const fields = payload as Record<string, unknown>;
  if (op === 'Record') return Object.values(fields);
  if (op === '.' || op === 'has' || op === 'like') return [fields.left];
  if (op === 'is') return 'in' in fields ? [fields.left, fields.in] : [fields.left];
  return Object.values(fields); // left/right, arg, if/then/else
};

/**
 * The principal constraint as a test the engine applies itself: `is` a type, `==` an entity, `in`
 * an entity — the principal itself or one of its parents, in the broker's one-level hierarchy.
 * `keep` (a template slot) leaves the constraint to Cedar.
 */
type PrincipalTest =
  | { readonly kind: 'any' }
  | { readonly kind: 'keep' }
  | { readonly kind: 'test'; readonly type?: string; readonly equals?: string; readonly within?: string };

const principalTestOf = (policy: PolicyJson): PrincipalTest => {
  const constraint = policy.principal;
  switch (constraint.op) {
    case 'All':
      return { kind: 'any' };
    case '==':
      return 'entity' in constraint
        ? { kind: 'test', equals: entityKey(constraint.entity as EntityRef) }
        : { kind: 'keep' };
    case 'in':
      return 'entity' in constraint
        ? { kind: 'test', within: entityKey(constraint.entity as EntityRef) }
        : { kind: 'keep' };
    case 'is': {
      const within = constraint.in;
      if (within === undefined) return { kind: 'test', type: constraint.entity_type };
      return 'entity' in within
        ? { kind: 'test', type: constraint.entity_type, within: entityKey(within.entity as EntityRef) }
        : { kind: 'keep' };
    }
    default:
      return { kind: 'keep' };
  }
};

/** Whether a principal of `type` and `key`, with `parents`, meets `test` (`keep`: undefined, Cedar decides). */
const principalMeets = (
  test: PrincipalTest,
  principal: { readonly type: string; readonly key: string; readonly parents: ReadonlySet<string> }
): boolean | undefined => {
  if (test.kind === 'any') return true;
  if (test.kind === 'keep') return undefined;
  if (test.type !== undefined && test.type !== principal.type) return false;
  if (test.equals !== undefined && test.equals !== principal.key) return false;
  return test.within === undefined || test.within === principal.key || principal.parents.has(test.within);
};

/** What a policy's conditions can observe of a request besides the principal's and resource's ids. */
interface PolicyReads {
  /** Context attributes read (`context.x`, `context has x`), or `all` when the record is used otherwise. */
  readonly context: ReadonlySet<string> | 'all';
  /** Attribute names read from anything else (`resource.privileged`): an entity attribute by another name is invisible. */
  readonly attributes: ReadonlySet<string>;
  /**
   * The entities `in` asks about (`principal in Jit::Group::"sre"`), or `all` when one is computed
   * (`principal in context.requesterGroups`): only `in` sees an entity's parents, and with the
   * broker's one-level hierarchy (users in groups, roles in accounts) only parents it names.
   */
  readonly ancestors: ReadonlySet<string> | 'all';
  /** Whether the conditions use the `action` variable. */
  readonly action: boolean;
}

/** The key `in` results depend on, for an entity reference in any of Cedar's JSON spellings. */
const entityKey = (ref: EntityRef): string => {
  const { type, id } = plainRef(ref);
  return `${type}\u0000${id}`; // a type name never holds NUL
};

const isEntityRef = (value: unknown): value is EntityRef =>
  value !== null &&
  typeof value === 'object' &&
  (('__entity' in value && isEntityRef((value as { __entity: unknown }).__entity)) ||
    (typeof (value as { type?: unknown }).type === 'string' && typeof (value as { id?: unknown }).id === 'string'));

/** The entity literals an `in` right-hand side names, or undefined when it is computed. */
const namedEntities = (expr: unknown): EntityRef[] | undefined => {
  if (expr === null || typeof expr !== 'object') return undefined;
  const [op, payload] = Object.entries(expr)[0] ?? ['', undefined];
  if (op === 'Value') {
    const values = Array.isArray(payload) ? payload : [payload];
    return values.every(isEntityRef) ? values : undefined;
  }
  if (op === 'Set' && Array.isArray(payload)) {
    const parts = payload.map(namedEntities);
    return parts.every((part) => part !== undefined) ? parts.flat() : undefined;
  }
  return undefined;
};

const scopeAncestors = (constraint: PolicyJson['principal'] | PolicyJson['resource']): EntityRef[] | undefined => {
  if (constraint.op === 'in') return 'entity' in constraint ? [constraint.entity as EntityRef] : undefined;
  if (constraint.op === 'is' && 'in' in constraint && constraint.in !== undefined) {
    return 'entity' in constraint.in ? [constraint.in.entity as EntityRef] : undefined;
  }
  return [];
};

const readsOf = (policy: PolicyJson): PolicyReads => {
  let context: Set<string> | 'all' = new Set();
  const attributes = new Set<string>();
  let ancestors: Set<string> | 'all' = new Set();
  const asked = (refs: EntityRef[] | undefined) => {
    if (refs === undefined) ancestors = 'all';
    else if (ancestors !== 'all') for (const ref of refs) ancestors.add(entityKey(ref));
  };
  // The principal's constraint is decided by principalTestOf, not by Cedar.
  asked(scopeAncestors(policy.resource));
  let action = false;
  const visit = (expr: unknown): void => {
    if (expr === null || typeof expr !== 'object') return;
    const [op, payload] = Object.entries(expr)[0] ?? ['', undefined];
    if (op === 'Var') {
      if (payload === 'context') context = 'all';
      if (payload === 'action') action = true;
      return;
    }
    if (op === '.' || op === 'has') {
      const { left, attr } = payload as { left: unknown; attr: string | string[] };
      const [first = '', ...rest] = Array.isArray(attr) ? attr : [attr];
      for (const name of rest) attributes.add(name);
      if (isVar(left, 'context')) {
        if (context !== 'all') context.add(first);
        return;
      }
      attributes.add(first);
    }
    if (op === 'in') asked(namedEntities((payload as { right: unknown }).right));
    if (op === 'is' && (payload as { in?: unknown }).in !== undefined)
      asked(namedEntities((payload as { in: unknown }).in));
    for (const operand of operandsOf(op, payload)) visit(operand);
  };
  for (const clause of policy.conditions) visit(clause.body);
  return { context, attributes, ancestors, action };
};

/**
 * Whether any of `policies` can read `context.<key>` when deciding one of `actions` on `role`: a
 * policy whose scope cannot match the question never sees its context (a resource constraint
 * other than `== Jit::Role::"…"` is taken to match every role). Within the policies that can match,
 * the answer errs towards yes: the key named anywhere in the conditions (even as a string) counts,
 * whatever readsOf makes of it.
 */
const canReadContext = (
  policies: readonly PolicyJson[],
  key: string,
  question: { readonly actions: readonly string[]; readonly role: string }
): boolean =>
  policies.some((policy) => {
    const scope = scopeOf(policy);
    if (!question.actions.some((action) => appliesTo(scope, action, question.role))) return false;
    const { context } = readsOf(policy);
    return context === 'all' || context.has(key) || JSON.stringify(policy.conditions).includes(JSON.stringify(key));
  });

/** `expr` with every `action` variable replaced by the literal `Jit::Action::"<action>"`. */
const withAction = (expr: unknown, action: string): unknown => {
  if (expr === null || typeof expr !== 'object') return expr;
  if (isVar(expr, 'action')) return { Value: { __entity: { type: JIT.action, id: action } } };
  const [op, payload] = Object.entries(expr)[0] ?? ['', undefined];
  const operands = new Set(operandsOf(op, payload));
  if (operands.size === 0) return expr;
  const swap = (value: unknown) => (operands.has(value) ? withAction(value, action) : value);
  const rebuilt = Array.isArray(payload)
    ? payload.map(swap)
    : Object.fromEntries(Object.entries(payload as object).map(([key, value]) => [key, swap(value)]));
  return { [op]: rebuilt };
};

/**
 * Whether Cedar's JSON form of the policy, as JavaScript holds it, is exactly the policy: a Long
 * literal beyond 2^53 − 1 lost digits when Cedar's JSON was parsed into a JavaScript number, so
 * such a policy must not be probed from it (the evaluator asks Cedar about its text instead).
 */
const exactInJson = (node: unknown): boolean => {
  if (typeof node === 'number') return Number.isSafeInteger(node);
  if (node === null || typeof node !== 'object') return true;
  return (Array.isArray(node) ? node : Object.values(node)).every(exactInJson);
};

/**
 * The probe form: a permit with the policy's principal and resource constraints and conditions,
 * any action, no annotations. Satisfied exactly when the policy would be for an action its scope
 * names; `action` in the conditions becomes that action's literal (one probe per action then).
 * `principalMet`: the engine found the principal constraint met (principalMeets), so it goes too.
 */
const probeOf = (policy: PolicyJson, options: { action?: string; principalMet?: boolean } = {}): PolicyJson => ({
  effect: 'permit',
  principal: options.principalMet ? { op: 'All' } : policy.principal,
  action: { op: 'All' },
  resource: policy.resource,
  conditions:
    options.action === undefined
      ? policy.conditions
      : policy.conditions.map((clause) => ({
          ...clause,
          body: withAction(clause.body, options.action as string) as typeof clause.body,
        })),
});

export type { PolicyReads, PolicyScope, PrincipalTest };
export {
  appliesTo,
  canReadContext,
  entityKey,
  exactInJson,
  principalMeets,
  principalTestOf,
  probeOf,
  readsOf,
  scopeOf,
};
