import type { KillRecord } from './grant.js';

/** The one inline policy the broker owns on each target role. */
const KILL_POLICY_NAME = 'jit-broker-session-kill';
/** IAM's limit for all inline policies of one role together, whitespace not counted. */
const ROLE_INLINE_BUDGET = 10_240;

/** IAM counts policy size without whitespace. */
const policySize = (document: string): number => document.replace(/\s/g, '').length;

type KillPolicy =
  /** Denies exactly the listed grants' sessions: every other session on the role keeps working. */
  | { readonly kind: 'per-grant'; readonly document: string; readonly grantIds: readonly string[] }
  /**
   * Too many grants to list within the role's budget: deny every session issued before the latest
   * end. Other grants on the role lose their current session too (they can re-vend) — an alert.
   */
  | {
      readonly kind: 'role-wide';
      readonly document: string;
      readonly grantIds: readonly string[];
      readonly issuedBefore: string;
    }
  /** Nothing left to deny: the policy is removed. */
  | { readonly kind: 'none'; readonly grantIds: readonly [] };

const policy = (statement: Record<string, unknown>): string =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: '*', Resource: '*', ...statement }] });

/**
 * Renders the kill policy for one role from the kill records that are still live at `now`.
 * `otherPoliciesSize` is what the role's other inline policies already use of the budget.
 */
const renderKillPolicy = (records: readonly KillRecord[], now: Date, otherPoliciesSize: number): KillPolicy => {
  const live = records.filter((r) => r.until > now.toISOString());
  if (live.length === 0) return { kind: 'none', grantIds: [] };
  const grantIds = [...new Set(live.map((r) => r.grantId))].sort();
  const sourceIdentities = [...new Set(live.map((r) => r.sourceIdentity))].sort();
  const perGrant = policy({
    Sid: 'JitBrokerEndedGrants',
    Condition: { StringEquals: { 'aws:SourceIdentity': sourceIdentities } },
  });
  if (otherPoliciesSize + policySize(perGrant) <= ROLE_INLINE_BUDGET) {
    return { kind: 'per-grant', document: perGrant, grantIds };
  }
  const issuedBefore = live
    .map((r) => r.endedAt)
    .sort()
    .at(-1) as string;
  const roleWide = policy({
    Sid: 'JitBrokerSessionsIssuedBefore',
    Condition: { DateLessThan: { 'aws:TokenIssueTime': issuedBefore } },
  });
  return { kind: 'role-wide', document: roleWide, grantIds, issuedBefore };
};

export type { KillPolicy };
export { KILL_POLICY_NAME, policySize, ROLE_INLINE_BUDGET, renderKillPolicy };
