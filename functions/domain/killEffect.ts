import type { GrantActivity } from './activity.js';
import type { AuditEvent } from './auditChain.js';
import { AFTER_END_GRACE_SECONDS } from './callOutcome.js';

/** What the kill is read from: an audit event without its chain fields (a report keeps only these). */
type KillEvent = Pick<AuditEvent, 'type' | 'at' | 'details'>;

/** The events that end access; a grant has at most one. */
const END_EVENT_TYPES: readonly string[] = ['grant.ended', 'grant.revoked', 'grant.expired'];
const KILL_APPLIED = 'grant.sessions-killed';

/**
 * What the kill did, as far as the recorded calls show:
 * - `not-needed`: no credential outlived the end;
 * - `pending`: a kill is needed and not recorded in force yet;
 * - `untested`: in force, and nothing tried the sessions since the end;
 * - `held`: in force, AWS refused a call since the end, and none got through later;
 * - `did-not-hold`: a call succeeded more than the grace after the kill was in force.
 */
type KillVerdict = 'not-needed' | 'pending' | 'untested' | 'held' | 'did-not-hold';

/** A grant's kill, measured: when it took effect in the broker's record and when AWS first showed it. */
interface KillEffect {
  /** When the broker recorded the deny in force (`grant.sessions-killed`, written after IAM accepted it). */
  readonly appliedAt: string | null;
  /** The first call AWS refused from the end on (the grace included). */
  readonly firstRefusalAt: string | null;
  /**
   * appliedAt → firstRefusalAt in seconds (to a tenth): IAM's propagation, in AWS. Negative when
   * AWS refused before the broker had recorded the kill (the IAM write comes first).
   */
  readonly propagationSeconds: number | null;
  readonly verdict: KillVerdict;
}

/**
 * Where a successful call after the end stands against the kill: not in force at the time (not
 * applied yet, or never needed), in force for less than the grace (IAM may still be propagating
 * it), or in force for longer — then the kill did not hold.
 */
type LateSuccess = 'kill-not-in-force' | 'kill-propagating' | 'kill-did-not-hold';

const endEventOf = <E extends KillEvent>(events: readonly E[]): E | undefined =>
  events.find((e) => END_EVENT_TYPES.includes(e.type));

/** The end event says whether a credential outlived it (`sessionKill: "until …"`). */
const killNeeded = (end: KillEvent): boolean => String(end.details.sessionKill ?? '').startsWith('until');

const killAppliedAt = (events: readonly KillEvent[]): string | undefined =>
  events.find((e) => e.type === KILL_APPLIED)?.at;

const lateSuccess = (at: string, appliedAt: string | undefined): LateSuccess => {
  if (appliedAt === undefined || at < appliedAt) return 'kill-not-in-force';
  return Date.parse(at) > Date.parse(appliedAt) + AFTER_END_GRACE_SECONDS * 1000
    ? 'kill-did-not-hold'
    : 'kill-propagating';
};

const tenthsOfSeconds = (fromIso: string, toIso: string): number =>
  Math.round((Date.parse(toIso) - Date.parse(fromIso)) / 100) / 10;

/** The kill of an ended grant, from its chain and its recorded calls; undefined while the grant is live. */
const killEffect = (
  events: readonly KillEvent[],
  activity: Pick<GrantActivity, 'firstRefusedSinceEndAt' | 'lastSucceededAfterEndAt'>
): KillEffect | undefined => {
  const end = endEventOf(events);
  if (end === undefined) return undefined;
  const appliedAt = killAppliedAt(events);
  const firstRefusalAt = activity.firstRefusedSinceEndAt;
  const lastSuccess = activity.lastSucceededAfterEndAt;
  const verdict: KillVerdict =
    appliedAt === undefined
      ? killNeeded(end)
        ? 'pending'
        : 'not-needed'
      : lastSuccess !== undefined && lateSuccess(lastSuccess, appliedAt) === 'kill-did-not-hold'
        ? 'did-not-hold'
        : firstRefusalAt !== undefined
          ? 'held'
          : 'untested';
  return {
    appliedAt: appliedAt ?? null,
    firstRefusalAt: firstRefusalAt ?? null,
    propagationSeconds:
      appliedAt === undefined || firstRefusalAt === undefined ? null : tenthsOfSeconds(appliedAt, firstRefusalAt),
    verdict,
  };
};

export type { KillEffect, KillEvent, KillVerdict, LateSuccess };
export { END_EVENT_TYPES, endEventOf, killAppliedAt, killEffect, killNeeded, lateSuccess };
