import { createHash } from 'node:crypto';
import { canonicalJson } from './canonicalJson.js';
import type { GrantState } from './grantState.js';

/** Every audit chain starts from this hash; the first event of a grant points at it. */
const GENESIS_HASH = '0'.repeat(64);

/** What a transition says happened, before it is placed in the grant's chain. */
interface AuditEventDraft {
  readonly type: string;
  readonly actor: string;
  readonly at: string;
  readonly fromState?: GrantState;
  readonly toState: GrantState;
  readonly details: Readonly<Record<string, unknown>>;
}

/** An event in the chain: `hash` covers every other field, including the previous hash. */
interface AuditEvent extends AuditEventDraft {
  readonly grantId: string;
  readonly seq: number;
  readonly prevHash: string;
  readonly hash: string;
}

type ChainVerdict =
  | { readonly valid: true; readonly length: number; readonly head: string }
  | { readonly valid: false; readonly length: number; readonly brokenAt: number; readonly reason: string };

const hashEvent = (event: Omit<AuditEvent, 'hash'>): string =>
  createHash('sha256').update(canonicalJson(event)).digest('hex');

/** Places a draft at position `seq` after the event whose hash is `prevHash`. */
const sealEvent = (draft: AuditEventDraft, grantId: string, seq: number, prevHash: string): AuditEvent => {
  const unsealed = { ...draft, grantId, seq, prevHash };
  return { ...unsealed, hash: hashEvent(unsealed) };
};

/**
 * Re-derives the chain. `expectedHead` is the hash the grant record says is the latest one, so
 * dropping events off the end is caught as well as editing or removing one in the middle.
 */
const verifyChain = (events: readonly AuditEvent[], expectedHead: string): ChainVerdict => {
  let prevHash = GENESIS_HASH;
  for (const [index, event] of events.entries()) {
    const broken = (reason: string): ChainVerdict => ({
      valid: false,
      length: events.length,
      brokenAt: event.seq,
      reason,
    });
    if (event.seq !== index + 1) return broken(`expected event ${index + 1}, found ${event.seq}`);
    if (event.prevHash !== prevHash) return broken('does not point at the event before it');
    const { hash, ...rest } = event;
    if (hashEvent(rest) !== hash) return broken('its content does not match its hash');
    prevHash = hash;
  }
  if (prevHash !== expectedHead) {
    return {
      valid: false,
      length: events.length,
      brokenAt: events.length + 1,
      reason: 'events are missing after the last one stored',
    };
  }
  return { valid: true, length: events.length, head: prevHash };
};

export type { AuditEvent, AuditEventDraft, ChainVerdict };
export { GENESIS_HASH, sealEvent, verifyChain };
