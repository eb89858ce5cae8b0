import { type AuditEvent, type HeadSignature, headStatement } from '../domain/auditChain.js';
import { grantDigest, recordStatement, verifyChain } from '../domain/chainVerdict.js';
import { ConflictError } from '../domain/errors.js';
import type { Grant, KillRecord, Transition } from '../domain/grant.js';
import { isTerminal } from '../domain/grantState.js';
import { attestKill } from '../domain/killAttestation.js';
import type { Alerts, ChainSigner, GrantStore, KillApplied, Logger, Page, PageRequest, StoredKill } from '../ports.js';

/**
 * Signs `to`'s chain head: the new event and the grant record after it carry the same signature,
 * over the grant id, the event's number and hash, and the record's digest (docs/audit.md).
 */
const signTransition = async (
  signer: ChainSigner,
  to: Transition,
  appendedTo?: HeadSignature['appendedTo']
): Promise<Transition> => {
  const digest = grantDigest(to.grant);
  const note = appendedTo === undefined ? {} : { appendedTo };
  const signed = await signer.sign(
    headStatement({ grantId: to.grant.id, seq: to.event.seq, hash: to.event.hash, grantDigest: digest, ...note })
  );
  const signature: HeadSignature = { ...signed, grantDigest: digest, ...note };
  return { ...to, grant: { ...to.grant, chainSignature: signature }, event: { ...to.event, signature } };
};

/** Whether a grant record is the one its latest event signed (one local signature check, no read). */
const recordSigned = async (signer: ChainSigner, grant: Grant): Promise<boolean> => {
  const statement = recordStatement(grant);
  return statement !== undefined && (await signer.verify(statement, grant.chainSignature as HeadSignature)) === 'valid';
};

/**
 * The grant store as the use cases see it: every append is signed before it is written, in the
 * same transaction as its event (a failed signature writes nothing), and the chain is extended
 * only from a record that is the one its latest event signed. A record changed outside the
 * broker is not signed over: anything that would keep or give access is refused
 * (GRANT_RECORD_TAMPERED); ending the grant goes ahead — revocation must never be blockable by
 * whoever can write the table — and its signature says it was appended to an unverified record.
 * Kill records come back as each grant's signed chain says they are (domain/killAttestation.ts).
 */
class SignedGrantStore implements GrantStore {
  readonly #inner: GrantStore;
  readonly #signer: ChainSigner;
  readonly #alerts: Alerts;
  readonly #logger: Logger;
  readonly #afterAppend: (event: AuditEvent) => Promise<void>;
  /**
   * Grants this store wrote in this process, as the use case holds them (unsigned: the domain made
   * them) → as signed and stored. A use case that appends twice in one request (open, then approve
   * by policy) extends from its own object, which was never read back from the table: what this
   * process signed itself needs no second look.
   */
  readonly #signedHere = new WeakMap<Grant, Grant>();

  /**
   * `afterAppend` sees each event once it is stored: where there is no table stream to archive
   * events from (the sandbox), it archives them.
   */
  constructor(
    inner: GrantStore,
    deps: {
      signer: ChainSigner;
      alerts: Alerts;
      logger: Logger;
      afterAppend?: (event: AuditEvent) => Promise<void>;
    }
  ) {
    this.#inner = inner;
    this.#signer = deps.signer;
    this.#alerts = deps.alerts;
    this.#logger = deps.logger;
    this.#afterAppend = deps.afterAppend ?? (async () => {});
  }

  /** `then` extends the opened grant's chain: it must follow from `opened` itself, and is signed in turn. */
  async create(opened: Transition, then?: Transition): Promise<void> {
    if (then !== undefined && (then.event.prevHash !== opened.event.hash || then.grant.id !== opened.grant.id)) {
      throw new Error(`the transition stored with grant ${opened.grant.id} must follow its first event`);
    }
    // Each signature is over its own event's hash and record digest, not over the other's
    // signature: asked for at once, KMS answers both in the time of one round trip.
    const [signed, signedThen] = await Promise.all([
      signTransition(this.#signer, opened),
      then === undefined ? undefined : signTransition(this.#signer, then),
    ]);
    await this.#inner.create(signed, signedThen);
    this.#signedHere.set(opened.grant, signed.grant);
    if (then !== undefined && signedThen !== undefined) this.#signedHere.set(then.grant, signedThen.grant);
    // Stored together, so handed on together (the sandbox archives each to a file of its own).
    await Promise.all(
      [signed.event, ...(signedThen === undefined ? [] : [signedThen.event])].map((event) => this.#afterAppend(event))
    );
  }

  async transition(from: Grant, to: Transition): Promise<void> {
    const signed = await this.#extend(from, to);
    await this.#inner.transition(from, signed);
    this.#signedHere.set(to.grant, signed.grant);
    await this.#afterAppend(signed.event);
  }

  /** Each kill's event signed as any other append; what the inner store answers as moved is retried by the caller. */
  async recordKillsApplied(applied: readonly KillApplied[]): Promise<readonly KillApplied[]> {
    const signed = await Promise.all(applied.map(async (a) => ({ ...a, to: await this.#extend(a.from, a.to) })));
    const moved = new Set(await this.#inner.recordKillsApplied(signed));
    for (const [index, a] of signed.entries()) {
      if (moved.has(a)) continue;
      this.#signedHere.set((applied[index] as KillApplied).to.grant, a.to.grant);
      await this.#afterAppend(a.to.event);
    }
    return [...moved];
  }

  async recordKillPruned(from: Grant, to: Transition, kill: KillRecord): Promise<void> {
    const signed = await this.#extend(from, to);
    await this.#inner.recordKillPruned(from, signed, kill);
    this.#signedHere.set(to.grant, signed.grant);
    await this.#afterAppend(signed.event);
  }

  async listKills(roleArn: string): Promise<readonly StoredKill[]> {
    const kills = await this.#inner.listKills(roleArn);
    return Promise.all(kills.map((kill) => this.#attest(kill)));
  }

  get(id: string): Promise<Grant | undefined> {
    return this.#inner.get(id);
  }

  getMany(ids: readonly string[]): Promise<readonly Grant[]> {
    return this.#inner.getMany(ids);
  }

  listByRequester(userId: string, page: PageRequest): Promise<Page<Grant>> {
    return this.#inner.listByRequester(userId, page);
  }

  listByState(state: Grant['state'], page: PageRequest): Promise<Page<Grant>> {
    return this.#inner.listByState(state, page);
  }

  listByRole(roleId: string, page: PageRequest): Promise<Page<Grant>> {
    return this.#inner.listByRole(roleId, page);
  }

  auditTrail(grantId: string) {
    return this.#inner.auditTrail(grantId);
  }

  /** Attested as `listKills` is: the organization's kill renders from these too. */
  async listAllKills(): Promise<readonly StoredKill[]> {
    const kills = await this.#inner.listAllKills();
    return Promise.all(kills.map((kill) => this.#attest(kill)));
  }

  deleteKill(kill: KillRecord): Promise<void> {
    return this.#inner.deleteKill(kill);
  }

  async #extend(from: Grant, to: Transition): Promise<Transition> {
    if (await recordSigned(this.#signer, this.#signedHere.get(from) ?? from)) return signTransition(this.#signer, to);
    const details = {
      grantId: from.id,
      reason: `the grant record does not match the signature of its event ${from.version}`,
      transition: to.event.type,
    };
    this.#logger.error('grant record changed outside the broker', details);
    await this.#alerts.raise('audit-tampered', details);
    if (!isTerminal(to.grant.state)) {
      throw new ConflictError(
        'GRANT_RECORD_TAMPERED',
        `grant ${from.id} was changed outside the broker (its record does not match its signed audit chain), ` +
          `so the broker will not act on it; security can still revoke it — see jit audit ${from.id} --archive`
      );
    }
    return signTransition(this.#signer, to, 'unverified-record');
  }

  async #attest(kill: StoredKill): Promise<StoredKill> {
    const grant = await this.#inner.get(kill.grantId);
    const events = grant === undefined ? [] : await this.#inner.auditTrail(kill.grantId);
    const chain =
      grant === undefined
        ? undefined
        : await verifyChain(grant, events, (statement, signature) => this.#signer.verify(statement, signature));
    const attested = attestKill(kill, grant, events, chain);
    if (attested.tampered !== undefined) {
      const details = { grantId: kill.grantId, roleArn: kill.roleArn, reason: attested.tampered };
      this.#logger.error('kill record does not match the signed audit chain', details);
      await this.#alerts.raise('audit-tampered', details);
    }
    return attested;
  }
}

export { SignedGrantStore, signTransition };
