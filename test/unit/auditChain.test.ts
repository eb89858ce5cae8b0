import { describe, expect, it } from 'vitest';
import {
  type AuditEvent,
  type AuditEventDraft,
  GENESIS_HASH,
  sealEvent,
  verifyChain,
} from '../../functions/domain/auditChain.js';
import { canonicalJson } from '../../functions/domain/canonicalJson.js';

const GRANT_ID = 'g-01jtest0000000000000000000';

const DRAFTS: readonly AuditEventDraft[] = [
  {
    type: 'grant.requested',
    actor: 'alice',
    at: '2026-11-23T09:00:00.000Z',
    toState: 'PENDING',
    details: { role: 'prod-read', durationSeconds: 1800, scope: { actions: ['s3:GetObject'], resources: ['*'] } },
  },
  {
    type: 'grant.approved',
    actor: 'bob',
    at: '2026-11-23T09:05:00.000Z',
    fromState: 'PENDING',
    toState: 'APPROVED',
    details: { approvals: 1, required: 1, expiresAt: '2026-11-23T09:35:00.000Z' },
  },
  {
    type: 'grant.cancelled',
    actor: 'alice',
    at: '2026-11-23T09:10:00.000Z',
    fromState: 'APPROVED',
    toState: 'CANCELLED',
    details: { comment: 'done early' },
  },
];

const sealChain = (drafts: readonly AuditEventDraft[] = DRAFTS): AuditEvent[] =>
  drafts.reduce<AuditEvent[]>((chain, draft, index) => {
    const prevHash = chain.at(-1)?.hash ?? GENESIS_HASH;
    chain.push(sealEvent(draft, GRANT_ID, index + 1, prevHash));
    return chain;
  }, []);

const headOf = (events: readonly AuditEvent[]): string => events.at(-1)!.hash;

type Edit = (event: AuditEvent) => AuditEvent;
const EDITS: readonly [string, Edit][] = [
  ['details', (e) => ({ ...e, details: { ...e.details, injected: true } })],
  ['actor', (e) => ({ ...e, actor: 'mallory' })],
  ['at', (e) => ({ ...e, at: '2026-11-23T08:00:00.000Z' })],
  ['type', (e) => ({ ...e, type: 'grant.forged' })],
  ['toState', (e) => ({ ...e, toState: 'ACTIVE' })],
  ['grantId', (e) => ({ ...e, grantId: 'g-other' })],
];

describe('sealEvent', () => {
  it('links the first event to the genesis hash and each later one to its predecessor', () => {
    const chain = sealChain();
    expect(GENESIS_HASH).toBe('0'.repeat(64));
    expect(chain.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(chain[0]!.prevHash).toBe(GENESIS_HASH);
    expect(chain[1]!.prevHash).toBe(chain[0]!.hash);
    expect(chain[2]!.prevHash).toBe(chain[1]!.hash);
    for (const event of chain) expect(event.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('gives the same hash for the same content whatever the key order of details', () => {
    const a = sealEvent({ ...DRAFTS[0]!, details: { a: 1, b: { c: 2, d: 3 } } }, GRANT_ID, 1, GENESIS_HASH);
    const b = sealEvent({ ...DRAFTS[0]!, details: { b: { d: 3, c: 2 }, a: 1 } }, GRANT_ID, 1, GENESIS_HASH);
    expect(a.hash).toBe(b.hash);
  });

  it('gives different hashes for the same draft at a different position', () => {
    const first = sealEvent(DRAFTS[0]!, GRANT_ID, 1, GENESIS_HASH);
    expect(sealEvent(DRAFTS[0]!, GRANT_ID, 2, GENESIS_HASH).hash).not.toBe(first.hash);
    expect(sealEvent(DRAFTS[0]!, GRANT_ID, 1, 'f'.repeat(64)).hash).not.toBe(first.hash);
  });
});

describe('verifyChain', () => {
  it('accepts an intact chain of three events and returns its head', () => {
    const chain = sealChain();
    expect(verifyChain(chain, headOf(chain))).toEqual({ valid: true, length: 3, head: chain[2]!.hash });
  });

  it('accepts an empty chain whose expected head is the genesis hash', () => {
    expect(verifyChain([], GENESIS_HASH)).toEqual({ valid: true, length: 0, head: GENESIS_HASH });
  });

  it('survives a round trip through JSON, as events do through the store', () => {
    const chain = sealChain();
    const reloaded = JSON.parse(JSON.stringify(chain)) as AuditEvent[];
    expect(verifyChain(reloaded, headOf(chain)).valid).toBe(true);
  });

  const editCases = EDITS.flatMap(([field, edit]) =>
    [1, 2, 3].map((seq): [string, number, Edit] => [field, seq, edit])
  );
  it.each(editCases)('detects an edit of %s in event %i at that seq', (_field, seq, edit) => {
    const chain = sealChain();
    const head = headOf(chain);
    chain[seq - 1] = edit(chain[seq - 1]!);
    expect(verifyChain(chain, head)).toEqual({
      valid: false,
      length: 3,
      brokenAt: seq,
      reason: 'its content does not match its hash',
    });
  });

  it('detects an edited event whose hash was recomputed, at the event after it', () => {
    const chain = sealChain();
    const head = headOf(chain);
    const { hash: _old, seq, prevHash, grantId, ...draft } = chain[1]!;
    chain[1] = sealEvent({ ...draft, actor: 'mallory' }, grantId, seq, prevHash);
    expect(verifyChain(chain, head)).toMatchObject({
      valid: false,
      brokenAt: 3,
      reason: 'does not point at the event before it',
    });
  });

  it('detects a fully re-sealed forged chain through the expected head', () => {
    const chain = sealChain();
    const forged = sealChain([DRAFTS[0]!, { ...DRAFTS[1]!, actor: 'mallory' }, DRAFTS[2]!]);
    expect(verifyChain(forged, headOf(chain))).toMatchObject({ valid: false, length: 3, brokenAt: 4 });
  });

  it('detects a removed middle event at the seq that no longer follows', () => {
    const chain = sealChain();
    expect(verifyChain([chain[0]!, chain[2]!], headOf(chain))).toEqual({
      valid: false,
      length: 2,
      brokenAt: 3,
      reason: 'expected event 2, found 3',
    });
  });

  it('detects a removed first event', () => {
    const chain = sealChain();
    expect(verifyChain([chain[1]!, chain[2]!], headOf(chain))).toMatchObject({ valid: false, brokenAt: 2 });
  });

  it.each([
    ['last two swapped', [0, 2, 1], 3],
    ['first two swapped', [1, 0, 2], 2],
    ['reversed', [2, 1, 0], 3],
  ])('detects a reordered chain (%s) at the first misplaced seq', (_how, order, brokenAt) => {
    const chain = sealChain();
    const reordered = order.map((i) => chain[i]!);
    expect(verifyChain(reordered, headOf(chain))).toMatchObject({ valid: false, length: 3, brokenAt });
  });

  it('detects a dropped last event through the expected head mismatch', () => {
    const chain = sealChain();
    expect(verifyChain(chain.slice(0, 2), headOf(chain))).toEqual({
      valid: false,
      length: 2,
      brokenAt: 3,
      reason: 'events are missing after the last one stored',
    });
  });

  it('detects a chain with every event dropped', () => {
    const chain = sealChain();
    expect(verifyChain([], headOf(chain))).toMatchObject({ valid: false, length: 0, brokenAt: 1 });
  });

  it('detects events appended beyond the head the grant records', () => {
    const chain = sealChain();
    const extra = sealEvent(DRAFTS[2]!, GRANT_ID, 4, headOf(chain));
    expect(verifyChain([...chain, extra], headOf(chain))).toMatchObject({ valid: false, length: 4 });
  });
});

describe('canonicalJson', () => {
  it('produces the same text whatever the key order, at every depth', () => {
    const a = { z: 1, a: { y: [{ b: 2, a: 1 }], x: 'x' }, m: null };
    const b = { m: null, a: { x: 'x', y: [{ a: 1, b: 2 }] }, z: 1 };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(canonicalJson(a)).toBe('{"a":{"x":"x","y":[{"a":1,"b":2}]},"m":null,"z":1}');
  });

  it('keeps array order, because order in an array is meaning', () => {
    expect(canonicalJson([2, 1])).toBe('[2,1]');
    expect(canonicalJson([2, 1])).not.toBe(canonicalJson([1, 2]));
  });

  it('drops undefined properties, as a store that removes them would', () => {
    expect(canonicalJson({ a: 1, b: undefined })).toBe(canonicalJson({ a: 1 }));
  });

  it.each([
    ['a string', 'x', '"x"'],
    ['a number', 42, '42'],
    ['a boolean', true, 'true'],
    ['null', null, 'null'],
  ])('writes %s as plain JSON', (_what, value, expected) => {
    expect(canonicalJson(value)).toBe(expected);
  });
});
