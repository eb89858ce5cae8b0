import type { ActivityUse } from '../domain/activity.js';
import type { Grant } from '../domain/grant.js';
import { isTerminal } from '../domain/grantState.js';
import { keepRecent } from './recentlyUsed.js';

const CAPACITY = 1000;

/** What the recorder needs of a grant to file a call without reading it. */
interface GrantFacts {
  /** Never changes: only sessions of this role are the grant's. */
  readonly roleArn: string;
  /** Set once the grant has ended; a terminal grant never changes its end again. */
  readonly endedAt?: string;
  /** For a grant that had not ended: the clock just before the read that found it so. */
  readonly liveAt?: string;
}

/**
 * The grants the warm recorder has read, so that it files the calls of a known grant with one write
 * and no read (docs/audit.md, "Recording cost"). An answer from here is never staler than a read
 * made after the call:
 *
 * - the role and, once the grant has ended, its end never change: they are answered for any call;
 * - that the grant had not ended is only true as of the read: it is answered only for calls made up
 *   to the time that read started (`liveAt`). An end recorded later carries its own clock, which is
 *   later than that read's start, so such a call came before the end, as the read said. (An end
 *   whose clock was taken before the read started but whose write landed after it escapes any read
 *   made in between, this one as a fresh one: ends are one conditional write, milliseconds.) A
 *   call made after `liveAt` may come after an end this process has not seen: `factsFor` answers
 *   undefined and the recorder reads the grant again — a call after the end is still filed
 *   after-end and raises used-after-end.
 *
 * CloudTrail reaches EventBridge some time after the call, so most calls of a busy session were
 * made before the read the previous one caused. Bounded: the least recently used grant goes first.
 */
class KnownGrants {
  readonly #facts = new Map<string, GrantFacts>();

  /** What is known of the call's grant that holds for this call, or undefined when only a read can say. */
  factsFor(use: Pick<ActivityUse, 'grantId' | 'at'>): GrantFacts | undefined {
    const facts = this.#facts.get(use.grantId);
    if (facts === undefined) return undefined;
    const current = facts.endedAt !== undefined || (facts.liveAt !== undefined && use.at <= facts.liveAt);
    if (!current) return undefined;
    this.#keep(use.grantId, facts);
    return facts;
  }

  /** Remembers `grant` as read by a read that started at `readAt`. */
  remember(grant: Grant, readAt: Date): void {
    const ended = isTerminal(grant.state) && grant.endedAt !== undefined;
    this.#keep(
      grant.id,
      ended
        ? { roleArn: grant.roleArn, endedAt: grant.endedAt }
        : { roleArn: grant.roleArn, liveAt: readAt.toISOString() }
    );
  }

  #keep(id: string, facts: GrantFacts): void {
    keepRecent(this.#facts, id, facts, CAPACITY);
  }
}

export type { GrantFacts };
export { KnownGrants };
