import { KILL_MARGIN_SECONDS } from './ending.js';
import { addSeconds, type KillRecord } from './grant.js';
import { denyAll, denyKilled, latestEnd } from './sessionKill.js';

/**
 * The organization-wide kill (docs/ending-access.md): one service control policy that denies every
 * session carrying an ended grant's source identity, in every member account. A grant's source
 * identity persists when its session assumes another role (role chaining), so the SCP reaches what
 * the target role's own kill policy cannot: sessions chained into other roles.
 */

/**
 * An SCP holds at most 5,120 characters, and every character counts, whitespace included, when it
 * is written through the API (AWS Organizations User Guide: quotas; SCP syntax).
 */
const ORG_POLICY_LIMIT = 5_120;

/**
 * A chained role session lasts at most one hour (IAM User Guide: role chaining). Sessions chained
 * before the deny took hold can be chained again until it does, so the deny must stay until every
 * one of them has expired: an hour after the end, plus the clock-skew margin.
 */
const CHAINED_SESSION_SECONDS = 3600;

/** How the broker's grant ids, and so its sessions' source identities, look (functions/adapters/ulidIds.ts). */
const GRANT_SOURCE_IDENTITIES = 'g-*';

/**
 * A source identity is 2 to 64 of `[\w+=,.@-]` (STS AssumeRole), so a single character is never
 * one: the SCP with nothing to kill denies only this impossible value. An SCP cannot be empty.
 */
const NO_SOURCE_IDENTITY = '-';

/** When every session chained from a grant ended at `endedAt` has expired, margin included. */
const chainsOverAt = (endedAt: string): string => addSeconds(endedAt, CHAINED_SESSION_SECONDS + KILL_MARGIN_SECONDS);

/** When the organization's deny of one killed grant is no longer needed. */
const orgKillUntil = (kill: KillRecord): string => {
  const chainsOver = chainsOverAt(kill.endedAt);
  return chainsOver > kill.until ? chainsOver : kill.until;
};

/**
 * Whether a kill record may go: the role's deny is over (its credentials would have expired) and,
 * with the organization-wide kill on, so is the organization's.
 */
const killIsOver = (kill: KillRecord, now: Date, orgKill: boolean): boolean => {
  const at = now.toISOString();
  return kill.until <= at && (!orgKill || orgKillUntil(kill) <= at);
};

type OrgKillDocument =
  /** Denies exactly the listed grants' sessions, wherever they chained to. */
  | { readonly kind: 'per-grant'; readonly document: string; readonly grantIds: readonly string[] }
  /**
   * Too many to list within 5,120 characters: deny every broker session (source identity `g-*`)
   * issued before the latest end. Live grants' sessions die too; their owners vend again — an alert.
   */
  | {
      readonly kind: 'issued-before';
      readonly document: string;
      readonly grantIds: readonly string[];
      readonly issuedBefore: string;
    }
  /** Nothing to deny: the policy denies nothing (an SCP cannot be empty). */
  | { readonly kind: 'none'; readonly document: string; readonly grantIds: readonly [] };

/** The SCP with nothing to kill. */
const EMPTY_ORG_KILL = denyAll('JitBrokerNoEndedGrants', {
  StringEquals: { 'aws:SourceIdentity': NO_SOURCE_IDENTITY },
});

/** Renders the organization's kill SCP from every kill record whose organization-wide deny is still needed. */
const renderOrgKillPolicy = (records: readonly KillRecord[], now: Date): OrgKillDocument => {
  const at = now.toISOString();
  const live = records.filter((r) => orgKillUntil(r) > at);
  if (live.length === 0) return { kind: 'none', document: EMPTY_ORG_KILL, grantIds: [] };
  const grantIds = [...new Set(live.map((r) => r.grantId))].sort();
  const perGrant = denyKilled(live);
  if (perGrant.length <= ORG_POLICY_LIMIT) return { kind: 'per-grant', document: perGrant, grantIds };
  const issuedBefore = latestEnd(live);
  const document = denyAll('JitBrokerSessionsIssuedBefore', {
    StringLike: { 'aws:SourceIdentity': GRANT_SOURCE_IDENTITIES },
    DateLessThan: { 'aws:TokenIssueTime': issuedBefore },
  });
  return { kind: 'issued-before', document, grantIds, issuedBefore };
};

export type { OrgKillDocument };
export { chainsOverAt, EMPTY_ORG_KILL, killIsOver, ORG_POLICY_LIMIT, orgKillUntil, renderOrgKillPolicy };
