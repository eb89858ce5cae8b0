import type { AuditEvent } from './auditChain.js';
import type { ChainVerdict } from './chainVerdict.js';
import type { Grant, KillRecord } from './grant.js';
import { endEventOf } from './killEffect.js';

/** A kill whose `until` cannot be trusted stays in force until someone looks (docs/audit.md). */
const UNTIL_SOMEONE_LOOKS = '9999-12-31T23:59:59.999Z';

const KILL_PRUNED = 'grant.kill-pruned';

/** What the grant's signed chain says its kill is: from the end event's `sessionKill: "until …"`. */
interface SignedKill {
  readonly endEvent: Pick<AuditEvent, 'seq' | 'type' | 'at'>;
  readonly until: string;
  readonly pruned: boolean;
}

const signedKillOf = (events: readonly AuditEvent[]): SignedKill | undefined => {
  const end = endEventOf(events);
  const until = /^until (\S+)$/.exec(String(end?.details.sessionKill ?? ''))?.[1];
  if (end === undefined || until === undefined) return undefined;
  return { endEvent: end, until, pruned: events.some((e) => e.type === KILL_PRUNED) };
};

/**
 * A kill record checked against its grant's signed chain (written in the same transaction as the
 * end event, so the chain always has it). Where they differ, the chain wins and `tampered` says
 * what the table held; where the chain cannot be trusted or is missing, the deny stays in force
 * (`until` far away) — a kill is never pruned early on the word of an unsigned record.
 */
const attestKill = <K extends KillRecord>(
  record: K,
  grant: Grant | undefined,
  events: readonly AuditEvent[],
  chain: ChainVerdict | undefined
): K & { tampered?: string } => {
  const kept = (why: string) => ({
    ...record,
    until: UNTIL_SOMEONE_LOOKS,
    tampered: `${why}: the deny stays in force until someone looks (the record says until ${record.until})`,
  });
  if (grant === undefined) return kept(`the kill record of ${record.grantId} has no grant in the table`);
  if (chain === undefined || !chain.valid) {
    return kept(
      `grant ${grant.id}'s audit chain does not verify (${chain?.valid === false ? chain.reason : 'not read'})`
    );
  }
  const signed = signedKillOf(events);
  if (signed === undefined) {
    return { ...record, tampered: `no signed end event of grant ${grant.id} asks for this kill` };
  }
  const expected: KillRecord = {
    grantId: grant.id,
    roleArn: grant.roleArn,
    sourceIdentity: grant.id,
    endedAt: signed.endEvent.at,
    until: signed.until,
  };
  const differing = (Object.keys(expected) as (keyof KillRecord)[]).filter((k) => record[k] !== expected[k]);
  if (differing.length === 0) return record;
  const what = differing.map((k) => `${k} ${record[k]} (signed: ${expected[k]})`).join(', ');
  return {
    ...record,
    ...expected,
    tampered: `the kill record differs from the signed event ${signed.endEvent.seq} (${signed.endEvent.type}): ${what}`,
  };
};

export type { SignedKill };
export { attestKill, signedKillOf, UNTIL_SOMEONE_LOOKS };
