import type { CatalogRole, ScopeCeiling } from '../domain/catalog.js';
import { conditionKeys, conditionProblems } from '../domain/conditions.js';
import { ValidationError } from '../domain/errors.js';
import { globCovers, matchesGlob } from '../domain/globCovers.js';
import type { TaskScope } from '../domain/grant.js';
import { outlivingActions, sessionGuards } from '../domain/sessionGuards.js';
import { renderSessionPolicy } from '../domain/sessionPolicy.js';
import { ECHO_VALUES, quoteInput, quoteInputs } from '../domain/untrustedText.js';
import type { ActionCatalog } from '../ports.js';

/** What a request stores: the session policy vending will pass to STS as is, and how wide it is. */
interface NarrowedScope {
  readonly sessionPolicy: string;
  /** Distinct concrete IAM actions the session policy allows: wildcards expanded, less what the guards withdraw. */
  readonly privilegeWidth: number;
  /** Guarded actions the task names exactly: the grant keeps them, so its access may outlive the kill. */
  readonly outlivingActions: readonly string[];
}

/** IAM compares action names case-insensitively, ARNs case-sensitively. */
const ACTION_CASE = { caseInsensitive: true } as const;
const RESOURCE_CASE = { caseInsensitive: false } as const;
const WILDCARD = /[*?]/;
/** IAM substitutes `${aws:username}`, `${*}` and the like when it evaluates a policy. */
const POLICY_VARIABLE = /\$\{[^}]*\}/g;
const EXAMPLES_SHOWN = 3;

/** Expands each distinct requested pattern once. */
const expandEach = async (
  catalog: ActionCatalog,
  patterns: readonly string[]
): Promise<ReadonlyMap<string, readonly string[] | undefined>> => {
  const distinct = [...new Set(patterns)];
  return new Map(await Promise.all(distinct.map(async (pattern) => [pattern, await catalog.expand(pattern)] as const)));
};

/** Every pattern must name at least one real action; all misses are reported at once, with suggestions. */
const rejectUnknownActions = async (
  catalog: ActionCatalog,
  expanded: ReadonlyMap<string, readonly string[] | undefined>
): Promise<ReadonlyMap<string, readonly string[]>> => {
  const unknown = [...expanded].filter(([, actions]) => actions === undefined || actions.length === 0);
  // Every entry was just checked to have actions.
  if (unknown.length === 0) return expanded as ReadonlyMap<string, readonly string[]>;
  const problems = await Promise.all(
    unknown.slice(0, ECHO_VALUES).map(async ([pattern]) => {
      const suggestion = await catalog.suggest(pattern);
      const problem = `${quoteInput(pattern)} ${WILDCARD.test(pattern) ? 'matches no IAM action' : 'is not an IAM action'}`;
      return suggestion === undefined ? `${problem}.` : `${problem}; did you mean '${suggestion}'?`;
    })
  );
  const more = unknown.length > ECHO_VALUES ? ` And ${unknown.length - ECHO_VALUES} more.` : '';
  throw new ValidationError('UNKNOWN_ACTION', `the task names actions that do not exist: ${problems.join(' ')}${more}`);
};

/** A few concrete actions no ceiling pattern matches: enough for the message, without scanning all of `*`. */
const firstEscaping = (ceiling: readonly string[], concrete: readonly string[]): string[] => {
  const escaping: string[] = [];
  for (const action of concrete) {
    if (!ceiling.some((allowed) => matchesGlob(allowed, action, ACTION_CASE))) escaping.push(action);
    if (escaping.length === EXAMPLES_SHOWN) break;
  }
  return escaping;
};

/**
 * The actions to write into the session policy, and the requested patterns that reach outside the
 * ceiling. A wildcard is kept as written only when a ceiling pattern covers it as a glob: then
 * actions AWS adds later stay inside the ceiling too. Otherwise the policy lists the concrete
 * actions it stands for today, which the ceiling must all allow.
 */
const fitActions = (ceiling: readonly string[], expanded: ReadonlyMap<string, readonly string[]>) => {
  const policyActions: string[] = [];
  const outside: string[] = [];
  for (const [pattern, concrete] of expanded) {
    if (WILDCARD.test(pattern) && ceiling.some((allowed) => globCovers(allowed, pattern, ACTION_CASE))) {
      policyActions.push(pattern);
      continue;
    }
    const escaping = firstEscaping(ceiling, concrete);
    if (escaping.length === 0) policyActions.push(...concrete);
    else
      outside.push(
        WILDCARD.test(pattern) ? `${quoteInput(pattern)} (e.g. ${escaping.join(', ')})` : quoteInput(pattern)
      );
  }
  return { policyActions, outside };
};

/**
 * Requested resources no ceiling resource covers. A policy variable can become any text, so it
 * counts as `*` here: covered only where the ceiling has a `*` for it.
 */
const resourcesOutside = (ceiling: readonly string[], resources: readonly string[]): string[] =>
  resources.filter((resource) => {
    const reach = resource.replace(POLICY_VARIABLE, '*');
    return !ceiling.some((allowed) => globCovers(allowed, reach, RESOURCE_CASE));
  });

const outsideCeilingMessage = (
  roleId: string,
  ceiling: ScopeCeiling,
  actions: readonly string[],
  resources: readonly string[]
): string => {
  const problems = [
    ...(actions.length === 0
      ? []
      : [`actions ${quoteInputs(actions, (shown) => shown)} (role allows ${quoteInputs(ceiling.actions)})`]),
    ...(resources.length === 0
      ? []
      : [`resources ${quoteInputs(resources)} (role allows ${quoteInputs(ceiling.resources)})`]),
  ];
  return `the task reaches outside role ${roleId}'s ceiling: ${problems.join('; ')}`;
};

/**
 * A condition IAM cannot read does not fail: it never matches, or (negated) always does. So the
 * operators, their values and the keys (against the IAM catalog) are checked here, all at once.
 */
const rejectInvalidConditions = async (catalog: ActionCatalog, conditions: TaskScope['conditions']): Promise<void> => {
  if (conditions === undefined) return;
  const keys = conditionKeys(conditions);
  const known = await Promise.all(keys.map((key) => catalog.knowsConditionKey(key)));
  const unknownKeys = keys.filter((_, i) => !known[i]);
  const problems = [
    ...conditionProblems(conditions),
    ...(unknownKeys.length === 0
      ? []
      : [
          `${quoteInputs(unknownKeys)} ${unknownKeys.length === 1 ? 'is not a condition key' : 'are not condition keys'} IAM knows`,
        ]),
  ];
  if (problems.length === 0) return;
  const more = problems.length > ECHO_VALUES ? `; and ${problems.length - ECHO_VALUES} more` : '';
  throw new ValidationError(
    'INVALID_CONDITION',
    `scope.conditions: ${problems.slice(0, ECHO_VALUES).join('; ')}${more} (see docs/request-validation.md)`
  );
};

/**
 * Turns a task scope into the STS session policy for `role`, at request time: every action must
 * exist in the IAM action catalog, and every action and resource must fit the role's ceiling. The
 * policy carries the guards (domain/sessionGuards.ts) for whatever the task does not name exactly.
 *
 * @throws ValidationError `EMPTY_SCOPE`, `INVALID_CONDITION`, `UNKNOWN_ACTION` (with suggestions),
 *   `OUTSIDE_CEILING` (naming what reaches outside and what the role allows) or `SESSION_POLICY_TOO_LARGE`.
 */
const narrowScope = async (catalog: ActionCatalog, role: CatalogRole, scope: TaskScope): Promise<NarrowedScope> => {
  if (scope.actions.length === 0 || scope.resources.length === 0) {
    throw new ValidationError('EMPTY_SCOPE', 'name at least one action and one resource for the task');
  }
  await rejectInvalidConditions(catalog, scope.conditions);
  const expanded = await rejectUnknownActions(catalog, await expandEach(catalog, scope.actions));
  const ceiling = role.scopeCeiling;
  const { policyActions, outside } = fitActions(ceiling.actions, expanded);
  const outsideResources = resourcesOutside(ceiling.resources, scope.resources);
  if (outside.length > 0 || outsideResources.length > 0) {
    throw new ValidationError('OUTSIDE_CEILING', outsideCeilingMessage(role.id, ceiling, outside, outsideResources));
  }
  const guards = sessionGuards(policyActions, scope.actions);
  const sessionPolicy = renderSessionPolicy({ ...scope, actions: policyActions }, guards);
  const lists = [...expanded.values()];
  // One pattern (often `*`, 22,000 actions) has no duplicates to remove: skip building the set.
  const allowed = lists.length === 1 ? lists[0]!.length : new Set(lists.flat()).size;
  // Every withdrawn action is a real one the allows reach, so it is among the expanded actions.
  return {
    sessionPolicy,
    privilegeWidth: allowed - guards.withdrawn.length,
    outlivingActions: outlivingActions(scope.actions),
  };
};

export type { NarrowedScope };
export { narrowScope };
