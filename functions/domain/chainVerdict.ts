import { type AuditEvent, GENESIS_HASH, type HeadSignature, hashOf, headStatement, sha256 } from './auditChain.js';
import { canonicalJson } from './canonicalJson.js';
import type { Grant } from './grant.js';

/** What the signing key's holder says of one signature (the ChainSigner port answers it). */
type SignatureCheck = 'valid' | 'invalid' | 'untrusted-key';
type CheckSignature = (statement: string, signature: HeadSignature) => Promise<SignatureCheck>;

type ChainFault =
  /** An event in the middle is gone. */
  | 'event-missing'
  /** An event is stored at another event's place. */
  | 'out-of-order'
  /** Its content (or the hash it points at) is not what was signed. */
  | 'changed-after-signing'
  | 'not-signed'
  | 'untrusted-key'
  /** The broker ended a grant whose record had been changed outside the broker. */
  | 'appended-to-unverified-record'
  /** The grant record says there are more events than are stored. */
  | 'events-missing-at-end'
  /** The grant record is not the one the latest event signed. */
  | 'record-changed'
  /** The grant record carries a signature that is not its latest event's. */
  | 'head-signature';

type ChainVerdict =
  | { readonly valid: true; readonly length: number; readonly head: string; readonly signedBy: readonly string[] }
  | {
      readonly valid: false;
      readonly length: number;
      /** The first event at fault (one past the last for events missing at the end). */
      readonly brokenAt: number;
      readonly fault: ChainFault;
      /** Says exactly what diverged, e.g. "event 3 (grant.approved) was changed after it was signed". */
      readonly reason: string;
    };

/** SHA-256 of the grant record as stored, its own copy of the head signature left out. */
const grantDigest = ({ chainSignature: _signature, ...record }: Grant): string => sha256(canonicalJson(record));

/**
 * The statement a grant record's own signature must sign: the record is the chain's head, so it
 * names the latest event and the record's digest. Undefined for a record that carries no signature.
 */
const recordStatement = (grant: Grant): string | undefined => {
  const signature = grant.chainSignature;
  if (signature === undefined) return undefined;
  return headStatement({
    grantId: grant.id,
    seq: grant.version,
    hash: grant.chainHead,
    grantDigest: grantDigest(grant),
    ...(signature.appendedTo === undefined ? {} : { appendedTo: signature.appendedTo }),
  });
};

const name = (event: Pick<AuditEvent, 'seq' | 'type'>): string => `event ${event.seq} (${event.type})`;

type EventsVerdict =
  | { readonly valid: true; readonly head: string; readonly signedBy: readonly string[] }
  | { readonly valid: false; readonly brokenAt: number; readonly fault: ChainFault; readonly reason: string };

/**
 * Re-derives the chain of `grantId` and checks each event's signature against the hash its
 * content gives: an edit anywhere — content, the hash it points at, its place — is named at the
 * first event it touches. Nothing here trusts a hash the table stores.
 */
const verifyEvents = async (
  grantId: string,
  events: readonly AuditEvent[],
  check: CheckSignature
): Promise<EventsVerdict> => {
  let prevHash = GENESIS_HASH;
  const signedBy = new Set<string>();
  for (const [index, event] of events.entries()) {
    const expected = index + 1;
    const broken = (fault: ChainFault, reason: string): EventsVerdict => ({
      valid: false,
      brokenAt: expected,
      fault,
      reason,
    });
    if (event.seq !== expected) {
      // Stored elsewhere in the chain: moved. Stored nowhere: deleted.
      return events.some((e) => e.seq === expected) || event.seq < expected
        ? broken('out-of-order', `event ${expected} is out of order: event ${event.seq} is stored in its place`)
        : broken('event-missing', `event ${expected} is missing (the next one stored is event ${event.seq})`);
    }
    const hash = hashOf({ ...event, grantId, prevHash });
    const { signature } = event;
    if (signature === undefined) return broken('not-signed', `${name(event)} is not signed`);
    const statement = headStatement({
      grantId,
      seq: expected,
      hash,
      grantDigest: signature.grantDigest,
      ...(signature.appendedTo === undefined ? {} : { appendedTo: signature.appendedTo }),
    });
    const verdict = await check(statement, signature);
    if (verdict === 'untrusted-key') {
      return broken(
        'untrusted-key',
        `${name(event)} is signed by a key this broker does not trust (${signature.keyId})`
      );
    }
    const moved = event.grantId !== grantId || event.prevHash !== prevHash;
    if (verdict === 'invalid' || event.hash !== hash || moved) {
      return broken('changed-after-signing', `${name(event)} was changed after it was signed`);
    }
    if (signature.appendedTo === 'unverified-record') {
      return broken(
        'appended-to-unverified-record',
        `${name(event)} was appended to a grant record that had been changed after event ${expected - 1} was signed`
      );
    }
    signedBy.add(signature.keyId);
    prevHash = hash;
  }
  return { valid: true, head: prevHash, signedBy: [...signedBy].sort() };
};

/**
 * The whole verdict on a grant: its events as above, then its record — the chain's head — against
 * the latest event's signature, so a record edited, or replaced by an older one, is caught too.
 */
const verifyChain = async (
  grant: Grant,
  events: readonly AuditEvent[],
  check: CheckSignature
): Promise<ChainVerdict> => {
  const length = events.length;
  const verdict = await verifyEvents(grant.id, events, check);
  if (!verdict.valid) return { ...verdict, length };
  const broken = (fault: ChainFault, reason: string, brokenAt = length): ChainVerdict => ({
    valid: false,
    length,
    brokenAt,
    fault,
    reason,
  });
  if (grant.version > length) {
    return broken(
      'events-missing-at-end',
      length === 0
        ? `every event is missing (the grant record is at event ${grant.version})`
        : `events after ${length} are missing (the grant record is at event ${grant.version})`,
      length + 1
    );
  }
  const last = events.at(-1) as AuditEvent;
  if (grant.version < length) {
    return broken(
      'record-changed',
      `the grant record is at event ${grant.version} but ${length} events are stored: an older record was put back`
    );
  }
  if (grant.chainHead !== verdict.head) {
    return broken('record-changed', `the grant record does not point at ${name(last)}`);
  }
  if (grant.chainSignature?.value !== last.signature?.value || grant.chainSignature?.keyId !== last.signature?.keyId) {
    return broken(
      'head-signature',
      `the head's signature does not verify: the grant record does not carry ${name(last)}'s`
    );
  }
  if (grantDigest(grant) !== last.signature?.grantDigest) {
    return broken('record-changed', `the grant record was changed after ${name(last)} signed it`);
  }
  return { valid: true, length, head: verdict.head, signedBy: verdict.signedBy };
};

export type { ChainFault, ChainVerdict, CheckSignature, EventsVerdict, SignatureCheck };
export { grantDigest, recordStatement, verifyChain, verifyEvents };
