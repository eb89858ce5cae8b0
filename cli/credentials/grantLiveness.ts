import type { GrantView } from '../api/brokerApi.js';
import { UsageError } from '../errors.js';

/**
 * How long the broker's word that a grant is live counts on this machine. Credentials are handed
 * out only for a grant the broker called live (APPROVED or ACTIVE) less than this long ago, so
 * after an end the CLI hands out the old credentials for at most this long (docs/cli.md).
 */
const DEFAULT_RECHECK_SECONDS = 30;
/** Lowers the bound (tests, or a stricter site); it can never be raised above the default. */
const RECHECK_VARIABLE = 'JIT_RECHECK_SECONDS';

const recheckBoundMs = (env: NodeJS.ProcessEnv): number => {
  const text = env[RECHECK_VARIABLE];
  if (text === undefined || text === '') return DEFAULT_RECHECK_SECONDS * 1000;
  const seconds = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text.trim()) || seconds > DEFAULT_RECHECK_SECONDS) {
    throw new UsageError(
      `${RECHECK_VARIABLE} must be a number of seconds from 0 to ${DEFAULT_RECHECK_SECONDS} (got '${text}')`
    );
  }
  return Math.round(seconds * 1000);
};

/** Whether a stamp taken at `stampedAt` still counts at `now` (a stamp from the future — the clock went back — does not). */
const stampHolds = (stampedAt: string, now: Date, boundMs: number): boolean => {
  const age = now.getTime() - Date.parse(stampedAt);
  return age >= 0 && age < boundMs;
};

const LIVE_STATES: ReadonlySet<GrantView['state']> = new Set(['APPROVED', 'ACTIVE']);

/** Text the broker stored from people (a revoke reason): one line, no terminal control sequences. */
const printable = (text: string): string => text.replace(/\p{Cc}+/gu, ' ').trim();

/**
 * Why a grant can no longer give access, with who ended it and why: "grant g-1 was revoked by
 * dave: incident 42". Undefined while it still can (or has yet to: PENDING). A live state whose
 * time is up counts as expired: the broker's expiry schedule may not have fired yet.
 */
const endOf = (grant: GrantView, now: Date): string | undefined => {
  const timeUp = grant.expiresAt !== undefined && Date.parse(grant.expiresAt) <= now.getTime();
  if (grant.state === 'PENDING' || (LIVE_STATES.has(grant.state) && !timeUp)) return undefined;
  if (grant.state === 'EXPIRED' || LIVE_STATES.has(grant.state)) {
    return `grant ${grant.id} expired at ${grant.expiresAt ?? grant.endedAt ?? 'its deadline'}`;
  }
  const by = grant.endedBy === undefined ? '' : ` by ${printable(grant.endedBy)}`;
  const why = grant.endReason === undefined ? '' : `: ${printable(grant.endReason)}`;
  return `grant ${grant.id} was ${grant.state.toLowerCase()}${by}${why}`;
};

export { endOf, LIVE_STATES, RECHECK_VARIABLE, recheckBoundMs, stampHolds };
