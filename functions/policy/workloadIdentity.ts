import type { EntityUidJson, PolicyJson } from './cedar.js';
import { JIT } from './schema.js';

/** The actions whose principal is a CI job (schema.cedarschema). */
const WORKLOAD_ACTIONS = new Set(['ciDeploy', 'ciForkPullRequest']);
/** Workload attributes that are names, and the immutable id to match instead. */
const NAME_TO_ID: Readonly<Record<string, string>> = { repository: 'repositoryId', owner: 'ownerId' };

const typeAndId = (uid: EntityUidJson) => ('__entity' in uid ? uid.__entity : uid);

/** Whether a CI job can be the principal: no User-only scope, and an action that applies to workloads. */
const appliesToWorkloads = ({ principal, action }: PolicyJson): boolean => {
  const principalMayBeWorkload =
    principal.op === 'All' ||
    (principal.op === 'is' && principal.entity_type === JIT.workload) ||
    (principal.op === '==' && 'entity' in principal && typeAndId(principal.entity).type === JIT.workload);
  if (!principalMayBeWorkload) return false;
  if (action.op === 'All') return true;
  const named = 'entities' in action ? action.entities : 'entity' in action ? [action.entity] : [];
  return named.some((uid) => WORKLOAD_ACTIONS.has(typeAndId(uid).id));
};

/** The attributes of `principal` the conditions read (`principal.x`, `principal["x"]`). */
const principalReads = (node: unknown, found = new Set<string>()): Set<string> => {
  if (Array.isArray(node)) {
    for (const item of node) principalReads(item, found);
  } else if (node !== null && typeof node === 'object') {
    const access = (node as Record<string, unknown>)['.'] as { left?: { Var?: unknown }; attr?: unknown } | undefined;
    if (access?.left?.Var === 'principal' && typeof access.attr === 'string') found.add(access.attr);
    for (const value of Object.values(node)) principalReads(value, found);
  }
  return found;
};

/**
 * What is wrong with how a policy tells CI jobs apart. A repository or owner name changes hands
 * when it is renamed, transferred or deleted (a new owner can then mint tokens with the old name),
 * so no policy may match one; and a permit must pin the immutable ids with their issuer, or any
 * repository the issuer serves could mint a token for the broker's audience and match it.
 * See docs/ci.md ("Names change hands").
 */
const workloadIdentityProblems = (policy: PolicyJson): string[] => {
  if (!appliesToWorkloads(policy)) return [];
  const reads = principalReads(policy.conditions);
  const problems = Object.entries(NAME_TO_ID)
    .filter(([name]) => reads.has(name))
    .map(
      ([name, id]) =>
        `matches CI jobs on principal.${name}, a name that changes hands when a repository or owner is renamed, transferred or deleted; match principal.${id} (and principal.issuer) instead`
    );
  if (policy.effect === 'permit') {
    const pinsId = reads.has('repositoryId') || reads.has('ownerId') || policy.principal.op === '==';
    if (!pinsId) {
      problems.push(
        'permits CI jobs without matching principal.ownerId or principal.repositoryId: any repository the issuer serves could mint a token for the broker and match it'
      );
    }
    if (!reads.has('issuer')) {
      problems.push(
        'permits CI jobs without matching principal.issuer: repository and owner ids are unique per issuer only (a GitHub repository and a GitLab project can share one)'
      );
    }
  }
  return problems;
};

export { workloadIdentityProblems };
