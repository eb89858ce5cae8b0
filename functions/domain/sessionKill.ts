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

/** A policy of one statement denying every action on every resource under `condition`, without whitespace. */
const denyAll = (sid: string, condition: Record<string, unknown>): string =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Sid: sid, Effect: 'Deny', Action: '*', Resource: '*', Condition: condition }],
  });

/** Denies exactly these kills' sessions, by the source identity each grant's sessions carry. */
const denyKilled = (live: readonly KillRecord[]): string =>
  denyAll('JitBrokerEndedGrants', {
    StringEquals: { 'aws:SourceIdentity': [...new Set(live.map((r) => r.sourceIdentity))].sort() },
  });

/** The latest end among these kills: every session they must deny was issued before it. */
const latestEnd = (live: readonly KillRecord[]): string =>
  live
    .map((r) => r.endedAt)
    .sort()
    .at(-1) as string;

/**
 * Renders the kill policy for one role from the kill records that are still live at `now`.
 * `otherPoliciesSize` is what the role's other inline policies already use of the budget.
 */
const renderKillPolicy = (records: readonly KillRecord[], now: Date, otherPoliciesSize: number): KillPolicy => {
  const live = records.filter((r) => r.until > now.toISOString());
  if (live.length === 0) return { kind: 'none', grantIds: [] };
  const grantIds = [...new Set(live.map((r) => r.grantId))].sort();
  const perGrant = denyKilled(live);
  if (otherPoliciesSize + policySize(perGrant) <= ROLE_INLINE_BUDGET) {
    return { kind: 'per-grant', document: perGrant, grantIds };
  }
  const issuedBefore = latestEnd(live);
  const roleWide = denyAll('JitBrokerSessionsIssuedBefore', { DateLessThan: { 'aws:TokenIssueTime': issuedBefore } });
  return { kind: 'role-wide', document: roleWide, grantIds, issuedBefore };
};

export type { KillPolicy };
export { denyAll, denyKilled, KILL_POLICY_NAME, latestEnd, policySize, ROLE_INLINE_BUDGET, renderKillPolicy };
