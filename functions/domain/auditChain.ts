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

/**
 * The broker's signature over one position of a grant's chain: the grant id, the event's number
 * and hash, and the digest of the grant record as it stood after the event (docs/audit.md).
 * Whoever can write the table but not use the signing key cannot make one.
 */
interface HeadSignature {
  /** The signing key: a KMS key ARN, or `local:<fingerprint>` in the sandbox. */
  readonly keyId: string;
  readonly algorithm: 'ECDSA_SHA_256';
  /** SHA-256 (hex) of the grant record after this event, its own signature left out. */
  readonly grantDigest: string;
  /**
   * Set when the event was appended to a grant record that did not match its signed chain: only
   * ending a grant goes ahead then (docs/audit.md), and the chain keeps saying so.
   */
  readonly appendedTo?: 'unverified-record';
  /** Base64 of the DER-encoded ECDSA signature of the head statement. */
  readonly value: string;
}

/** An event in the chain: `hash` covers every other field but `signature`, which signs the hash. */
interface AuditEvent extends AuditEventDraft {
  readonly grantId: string;
  readonly seq: number;
  readonly prevHash: string;
  readonly hash: string;
  readonly signature?: HeadSignature;
}

/** The text the signing key signs for one chain position: canonical JSON, so it is rebuilt exactly. */
const headStatement = (head: {
  grantId: string;
  seq: number;
  hash: string;
  grantDigest: string;
  appendedTo?: HeadSignature['appendedTo'];
}): string => canonicalJson({ statement: 'jit-broker/audit-chain-head/v1', ...head });

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** What an event's hash covers: everything but the hash and the signature over it. */
const hashOf = ({ hash: _hash, signature: _signature, ...content }: Omit<AuditEvent, 'hash'> & { hash?: string }) =>
  sha256(canonicalJson(content));

/** Places a draft at position `seq` after the event whose hash is `prevHash`. */
const sealEvent = (draft: AuditEventDraft, grantId: string, seq: number, prevHash: string): AuditEvent => {
  const unsealed = { ...draft, grantId, seq, prevHash };
  return { ...unsealed, hash: hashOf(unsealed) };
};

export type { AuditEvent, AuditEventDraft, HeadSignature };
export { GENESIS_HASH, hashOf, headStatement, sealEvent, sha256 };
