import { beforeAll, describe, expect, it } from 'vitest';
import { localChainSigner } from '../../functions/adapters/localChainSigner.js';
import { signTransition } from '../../functions/app/signedGrantStore.js';
import { type AuditEvent, GENESIS_HASH, hashOf, headStatement, sealEvent } from '../../functions/domain/auditChain.js';
import { type ChainVerdict, verifyChain, verifyEvents } from '../../functions/domain/chainVerdict.js';
import type { Grant, Transition } from '../../functions/domain/grant.js';
import type { ChainSigner } from '../../functions/ports.js';
import { lifecycle, signAll, T0 } from '../helpers/signedChains.js';

const broker = localChainSigner();
const attacker = localChainSigner();
const check = (statement: string, signature: Parameters<ChainSigner['verify']>[1]) =>
  broker.verify(statement, signature);

let steps: Transition[];
let events: AuditEvent[];
let head: Grant;
beforeAll(async () => {
  steps = await signAll(broker, lifecycle());
  events = steps.map((s) => s.event);
  head = steps.at(-1)!.grant;
});

const verdictOf = (grant: Grant, chain: readonly AuditEvent[]): Promise<ChainVerdict> =>
  verifyChain(grant, chain, check);
const replaced = (index: number, event: AuditEvent) => events.map((e, i) => (i === index ? event : e));

describe('sealEvent', () => {
  it('links the first event to the genesis hash and each later one to its predecessor', () => {
    expect(GENESIS_HASH).toBe('0'.repeat(64));
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(events[0]!.prevHash).toBe(GENESIS_HASH);
    for (let i = 1; i < events.length; i++) expect(events[i]!.prevHash).toBe(events[i - 1]!.hash);
  });

  it('gives the same hash whatever the key order of details, and another one at another position', () => {
    const draft = { type: 'grant.requested', actor: 'alice', at: T0.toISOString(), toState: 'PENDING' as const };
    const a = sealEvent({ ...draft, details: { a: 1, b: { c: 2, d: 3 } } }, 'g-1', 1, GENESIS_HASH);
    const b = sealEvent({ ...draft, details: { b: { d: 3, c: 2 }, a: 1 } }, 'g-1', 1, GENESIS_HASH);
    expect(a.hash).toBe(b.hash);
    expect(sealEvent({ ...draft, details: {} }, 'g-1', 2, GENESIS_HASH).hash).not.toBe(
      sealEvent({ ...draft, details: {} }, 'g-1', 1, GENESIS_HASH).hash
    );
  });

  it('leaves the signature out of the hash it signs', () => {
    for (const event of events) {
      expect(event.signature).toBeDefined();
      expect(hashOf(event)).toBe(event.hash);
    }
  });
});

describe('the signed head', () => {
  it('signs the grant id, the position, the hash and the record’s digest, and the record carries it too', () => {
    for (const step of steps) {
      expect(step.grant.chainSignature).toEqual(step.event.signature);
      expect(step.event.signature).toMatchObject({ keyId: broker.keyId, algorithm: 'ECDSA_SHA_256' });
    }
    expect(JSON.parse(headStatement({ grantId: 'g-1', seq: 2, hash: 'h', grantDigest: 'd' }))).toEqual({
      statement: 'jit-broker/audit-chain-head/v1',
      grantId: 'g-1',
      seq: 2,
      hash: 'h',
      grantDigest: 'd',
    });
  });
});

describe('verifyChain', () => {
  it('accepts the intact chain, also after a JSON round trip, and names the key that signed it', async () => {
    expect(await verdictOf(head, events)).toEqual({
      valid: true,
      length: 4,
      head: head.chainHead,
      signedBy: [broker.keyId],
    });
    const reloaded = JSON.parse(JSON.stringify({ head, events })) as { head: Grant; events: AuditEvent[] };
    expect((await verdictOf(reloaded.head, reloaded.events)).valid).toBe(true);
  });

  const EDITS: [string, (e: AuditEvent) => AuditEvent][] = [
    ['details', (e) => ({ ...e, details: { ...e.details, injected: true } })],
    ['actor', (e) => ({ ...e, actor: 'mallory' })],
    ['at', (e) => ({ ...e, at: '2026-11-23T08:00:00.000Z' })],
    ['toState', (e) => ({ ...e, toState: 'DENIED' })],
    ['prevHash', (e) => ({ ...e, prevHash: 'f'.repeat(64) })],
    ['grantId', (e) => ({ ...e, grantId: 'g-01jother000000000000000000' })],
    ['hash', (e) => ({ ...e, hash: 'e'.repeat(64) })],
  ];
  const cases = EDITS.flatMap(([field, edit]) => [1, 2, 3, 4].map((seq) => [field, seq, edit] as const));
  it.each(cases)('names an edit of %s in event %i as changed after it was signed', async (_field, seq, edit) => {
    const verdict = await verdictOf(head, replaced(seq - 1, edit(events[seq - 1]!)));
    expect(verdict).toMatchObject({ valid: false, brokenAt: seq, fault: 'changed-after-signing' });
    expect(verdict.valid || verdict.reason).toBe(
      `event ${seq} (${events[seq - 1]!.type}) was changed after it was signed`
    );
  });

  it('names an edited type by the type the table now shows', async () => {
    const verdict = await verdictOf(head, replaced(1, { ...events[1]!, type: 'grant.denied' }));
    expect(verdict).toMatchObject({ reason: 'event 2 (grant.denied) was changed after it was signed' });
  });

  it('still names the edited event when its hash and every later one were recomputed', async () => {
    const forged: AuditEvent[] = [events[0]!];
    for (const event of events.slice(1)) {
      const { hash: _h, signature, ...draft } = event;
      const prev = forged.at(-1)!.hash;
      const actor = event.seq === 2 ? 'mallory' : draft.actor;
      forged.push({
        ...sealEvent({ ...draft, actor }, draft.grantId, draft.seq, prev),
        ...(signature ? { signature } : {}),
      });
    }
    expect(await verdictOf(head, forged)).toMatchObject({
      valid: false,
      brokenAt: 2,
      reason: 'event 2 (grant.approved) was changed after it was signed',
    });
  });

  it('refuses a rewritten history signed with some other key, at its first event', async () => {
    const rewritten = await signAll(attacker, lifecycle());
    const verdict = await verdictOf(
      rewritten.at(-1)!.grant,
      rewritten.map((s) => s.event)
    );
    expect(verdict).toMatchObject({ valid: false, brokenAt: 1, fault: 'untrusted-key' });
    expect(verdict.valid || verdict.reason).toBe(
      `event 1 (grant.requested) is signed by a key this broker does not trust (${attacker.keyId})`
    );
  });

  it('says so of an event without a signature, or with a signature that is not one', async () => {
    const { signature: _s, ...unsigned } = events[2]!;
    expect(await verdictOf(head, replaced(2, unsigned))).toMatchObject({
      fault: 'not-signed',
      reason: 'event 3 (grant.activated) is not signed',
    });
    const garbage = { ...events[2]!, signature: { ...events[2]!.signature!, value: 'bm90IGEgc2lnbmF0dXJl' } };
    expect(await verdictOf(head, replaced(2, garbage))).toMatchObject({ fault: 'changed-after-signing', brokenAt: 3 });
  });

  it('names a deleted middle event and a reordered chain', async () => {
    expect(await verdictOf(head, [events[0]!, events[2]!, events[3]!])).toMatchObject({
      valid: false,
      brokenAt: 2,
      fault: 'event-missing',
      reason: 'event 2 is missing (the next one stored is event 3)',
    });
    expect(await verdictOf(head, [events[1]!, events[0]!, events[2]!, events[3]!])).toMatchObject({
      brokenAt: 1,
      fault: 'out-of-order',
      reason: 'event 1 is out of order: event 2 is stored in its place',
    });
    expect(await verdictOf(head, [events[1]!, events[2]!, events[3]!])).toMatchObject({
      brokenAt: 1,
      fault: 'event-missing',
    });
    expect(await verdictOf(head, [events[0]!, events[2]!, events[1]!, events[3]!])).toMatchObject({ brokenAt: 2 });
    expect(await verdictOf(head, [events[0]!, events[1]!, events[1]!, events[3]!])).toMatchObject({
      brokenAt: 3,
      fault: 'out-of-order',
      reason: 'event 3 is out of order: event 2 is stored in its place',
    });
  });

  it('says which events are missing at the end, from the grant record', async () => {
    expect(await verdictOf(head, events.slice(0, 2))).toEqual({
      valid: false,
      length: 2,
      brokenAt: 3,
      fault: 'events-missing-at-end',
      reason: 'events after 2 are missing (the grant record is at event 4)',
    });
    expect(await verdictOf(head, [])).toMatchObject({
      reason: 'every event is missing (the grant record is at event 4)',
    });
  });

  it('names a grant record edited after its head was signed, or replaced by an older one', async () => {
    const extended = { ...head, expiresAt: '2027-01-01T00:00:00.000Z' };
    expect(await verdictOf(extended, events)).toMatchObject({
      valid: false,
      fault: 'record-changed',
      reason: 'the grant record was changed after event 4 (grant.revoked) signed it',
    });
    expect(await verdictOf(steps[2]!.grant, events)).toMatchObject({
      fault: 'record-changed',
      reason: 'the grant record is at event 3 but 4 events are stored: an older record was put back',
    });
  });

  it("says the head's signature does not verify when the record carries another one", async () => {
    const swapped = { ...head, chainSignature: events[2]!.signature! };
    expect(await verdictOf(swapped, events)).toMatchObject({
      fault: 'head-signature',
      reason: "the head's signature does not verify: the grant record does not carry event 4 (grant.revoked)'s",
    });
  });

  it('cannot tell an older signed head put back with the later events deleted: only the archive can', async () => {
    // The table is then consistent with itself and every signature holds; see archiveComparison.test.ts.
    expect((await verdictOf(steps[2]!.grant, events.slice(0, 3))).valid).toBe(true);
  });

  it('keeps saying that an event was appended to a record that did not verify', async () => {
    const ended = await signTransition(broker, lifecycle()[3]!, 'unverified-record');
    const verdict = await verdictOf(ended.grant, [...events.slice(0, 3), ended.event]);
    expect(verdict).toMatchObject({ valid: false, brokenAt: 4, fault: 'appended-to-unverified-record' });
  });

  it('verifies an archived chain without its grant record (verifyEvents)', async () => {
    expect(await verifyEvents(head.id, events, check)).toEqual({
      valid: true,
      head: head.chainHead,
      signedBy: [broker.keyId],
    });
    expect(await verifyEvents('g-01jother000000000000000000', events, check)).toMatchObject({
      valid: false,
      brokenAt: 1,
    });
  });
});
