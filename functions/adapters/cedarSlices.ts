/**
 * Slices of the policy set, for the `sliced` evaluation (./cedarEvaluator.ts): per action set and
 * role, the policies whose scope can match, as probes preparsed in Cedar; per principal, those
 * whose principal constraint the principal meets, with that constraint decided here. Each slice
 * knows what its policies can observe, and Cedar is given only that.
 */
import { cedar, type EntityJson, type EntityUidJson, type PolicyJson } from '../policy/cedar.js';
import type { BrokerPolicies, CompiledPolicy } from '../policy/policySet.js';
import {
  appliesTo,
  entityKey,
  exactInJson,
  type PolicyReads,
  type PolicyScope,
  type PrincipalTest,
  principalMeets,
  principalTestOf,
  probeOf,
  readsOf,
  scopeOf,
} from '../policy/policySlices.js';
import type { PolicyAction } from '../policy/schema.js';

/** A probe policy in a slice: the policy it stands for and the asked actions its scope names. */
interface Member {
  readonly policy: CompiledPolicy;
  readonly actions: ReadonlySet<PolicyAction>;
}

interface Slice {
  /** Undefined when a policy of the slice cannot be probed: its questions go to `perAction`. */
  readonly setId?: string;
  readonly members: ReadonlyMap<string, Member>;
  /** What the slice's policies can observe: Cedar gets only that (docs/policy-performance.md). */
  readonly context: ReadonlySet<string> | 'all';
  readonly attributes: ReadonlySet<string>;
  readonly ancestors: ReadonlySet<string> | 'all';
}

/** The principal as the slices see it: its entity type, key and parents' keys. */
interface PrincipalView {
  readonly type: string;
  readonly key: string;
  readonly parents: ReadonlySet<string>;
}

interface Analysed {
  readonly policy: CompiledPolicy;
  readonly scope: PolicyScope;
  readonly reads: PolicyReads;
  readonly principal: PrincipalTest;
  readonly exact: boolean;
}

/** Slices per principal kept for one action set and role; past that, Cedar decides the principal. */
const PRINCIPAL_SLICES = 256;

let preparsed = 0;
/** A name for a policy set or schema preparsed in Cedar (its cache is per process, not per engine). */
const nextSetId = (what: string) => `jit-${what}-${++preparsed}`;

const mustLoad = (answer: { type: string; errors?: readonly { message: string }[] }): void => {
  if (answer.type === 'failure') {
    throw new Error(`policies could not be loaded: ${(answer.errors ?? []).map((e) => e.message).join('; ')}`);
  }
};

const mergeInto = (into: Set<string> | 'all', from: ReadonlySet<string> | 'all'): Set<string> | 'all' => {
  if (into === 'all' || from === 'all') return 'all';
  for (const item of from) into.add(item);
  return into;
};

/** One slice: `met(policy)` says whether the engine found its principal constraint met (undefined: Cedar decides). */
const buildSlice = (
  candidates: readonly { readonly analysed: Analysed; readonly actions: readonly PolicyAction[] }[],
  met: (analysed: Analysed) => boolean | undefined
): Slice => {
  const members = new Map<string, Member>();
  const probes: Record<string, PolicyJson> = {};
  let context: Set<string> | 'all' = new Set();
  const attributes = new Set<string>();
  let ancestors: Set<string> | 'all' = new Set();
  let exact = true;
  for (const { analysed, actions } of candidates) {
    const { policy, reads } = analysed;
    const principalMet = met(analysed);
    if (principalMet === false) continue;
    // Left to Cedar, a principal constraint may ask about any of the principal's parents.
    if (principalMet === undefined && analysed.principal.kind !== 'any') ancestors = 'all';
    exact &&= analysed.exact;
    // A policy that reads `action` is probed once per action, with that action written in.
    const copies = reads.action
      ? actions.map((action) => ({
          id: `${policy.id}@${action}`,
          actions: [action],
          probe: probeOf(policy.json, { action, principalMet: principalMet === true }),
        }))
      : [{ id: policy.id, actions, probe: probeOf(policy.json, { principalMet: principalMet === true }) }];
    for (const copy of copies) {
      members.set(copy.id, { policy, actions: new Set(copy.actions) });
      probes[copy.id] = copy.probe;
    }
    context = mergeInto(context, reads.context);
    for (const name of reads.attributes) attributes.add(name);
    ancestors = mergeInto(ancestors, reads.ancestors);
  }
  if (!exact) return { members, context, attributes, ancestors };
  const setId = nextSetId('slice');
  mustLoad(cedar.preparsePolicySet(setId, { staticPolicies: probes }));
  return { setId, members, context, attributes, ancestors };
};

/**
 * Whether every parent in `entities` is a root (has no parents of its own there): then the
 * principal's ancestors are exactly its parents, as `in` sees them. The engine's entities are so.
 */
const oneLevel = (entities: readonly EntityJson[]): boolean => {
  const withParents = new Set(entities.filter((e) => (e.parents ?? []).length > 0).map((e) => entityKey(e.uid)));
  return entities.every((e) => (e.parents ?? []).every((p) => !withParents.has(entityKey(p))));
};

const principalView = (principal: EntityUidJson, entities: readonly EntityJson[]): PrincipalView => {
  const key = entityKey(principal);
  const own = entities.find((e) => entityKey(e.uid) === key);
  const { type } = '__entity' in principal ? principal.__entity : principal;
  return { type, key, parents: new Set((own?.parents ?? []).map(entityKey)) };
};

/** Slices of `policies`, made at first use and kept. */
const policySlices = (policies: BrokerPolicies) => {
  const analysed: Analysed[] = policies.policies.map((policy) => ({
    policy,
    scope: scopeOf(policy.json),
    reads: readsOf(policy.json),
    principal: principalTestOf(policy.json),
    exact: exactInJson(policy.json),
  }));
  const byScope = new Map<
    string,
    {
      candidates: { analysed: Analysed; actions: PolicyAction[] }[];
      tested: readonly Analysed[];
      byPrincipal: Map<string, Slice>;
      unresolved?: Slice;
    }
  >();

  /** The slice for `actions` on `role`, asked by `principal` with these `entities` (`flat`: oneLevel(entities)). */
  const sliceFor = (
    actions: readonly PolicyAction[],
    role: string,
    principal: EntityUidJson,
    entities: readonly EntityJson[],
    flat: boolean
  ): Slice => {
    const scopeKey = `${actions.join(',')} ${role}`;
    let scoped = byScope.get(scopeKey);
    if (scoped === undefined) {
      const candidates = analysed.flatMap((a) => {
        const matching = actions.filter((action) => appliesTo(a.scope, action, role));
        return matching.length > 0 ? [{ analysed: a, actions: matching }] : [];
      });
      const tested = candidates.map((c) => c.analysed).filter((a) => a.principal.kind === 'test');
      scoped = { candidates, tested, byPrincipal: new Map() };
      byScope.set(scopeKey, scoped);
    }
    const { candidates, tested, byPrincipal } = scoped;
    const unresolved = () => {
      scoped.unresolved ??= buildSlice(candidates, (a) => (a.principal.kind === 'any' ? true : undefined));
      return scoped.unresolved;
    };
    if (!flat) return unresolved();
    const view = principalView(principal, entities);
    const verdicts = tested.map((a) => principalMeets(a.principal, view) === true);
    const principalKey = verdicts.map((v) => (v ? '1' : '0')).join('');
    let slice = byPrincipal.get(principalKey);
    if (slice === undefined) {
      if (byPrincipal.size >= PRINCIPAL_SLICES) return unresolved();
      slice = buildSlice(candidates, (a) => principalMeets(a.principal, view));
      byPrincipal.set(principalKey, slice);
    }
    return slice;
  };

  return { sliceFor };
};

/**
 * The entities as the slice's policies can see them: only attributes they read by name, only
 * parents their `in` names, and an entity left with neither not at all — to every policy the schema
 * admits it is then the same as no entity. Each value left out saves Cedar a parse. Parents are
 * narrowed only in a one-level hierarchy (the engine's: users in groups, roles in accounts), where
 * no ancestor is reached through another.
 */
const visibleEntities = (entities: readonly EntityJson[], slice: Slice, flat: boolean): EntityJson[] => {
  const ancestors = flat ? slice.ancestors : 'all';
  const visible: EntityJson[] = [];
  for (const entity of entities) {
    const attrs: Record<string, unknown> = {};
    let seen = 0;
    for (const name of slice.attributes) {
      if (entity.attrs !== undefined && name in entity.attrs) {
        attrs[name] = entity.attrs[name];
        seen++;
      }
    }
    const parents =
      ancestors === 'all' ? (entity.parents ?? []) : (entity.parents ?? []).filter((p) => ancestors.has(entityKey(p)));
    if (seen > 0 || parents.length > 0) visible.push({ uid: entity.uid, attrs: attrs as EntityJson['attrs'], parents });
  }
  return visible;
};

const visibleContext = (context: Record<string, unknown>, slice: Slice): Record<string, unknown> => {
  if (slice.context === 'all') return context;
  const visible: Record<string, unknown> = {};
  for (const name of slice.context) if (name in context) visible[name] = context[name];
  return visible;
};

export type { Member, Slice };
export { mustLoad, nextSetId, oneLevel, policySlices, visibleContext, visibleEntities };
