import { beforeAll, describe, expect, it } from 'vitest';
import { localChainSigner } from '../../functions/adapters/localChainSigner.js';
import { compareWithArchive } from '../../functions/domain/archiveComparison.js';
import type { AuditEvent } from '../../functions/domain/auditChain.js';
import { verifyEvents } from '../../functions/domain/chainVerdict.js';
import { lifecycle, signAll, T0 } from '../helpers/signedChains.js';

const signer = localChainSigner();
let events: AuditEvent[];
beforeAll(async () => {
  events = (await signAll(signer, lifecycle())).map((s) => s.event);
});

/** The comparison as `jit audit --archive` makes it: the archived chain verified with the broker's key. */
const compare = async (table: readonly AuditEvent[], archived: readonly AuditEvent[], options = { hoursLater: 48 }) =>
  compareWithArchive({
    table,
    archived,
    archiveProblems: [],
    archivedChain: await verifyEvents(events[0]!.grantId, archived, (s, sig) => signer.verify(s, sig)),
    now: new Date(T0.getTime() + options.hoursLater * 3600_000),
  });

describe('compareWithArchive', () => {
  it('matches when the table holds what the archive holds', async () => {
    expect(await compare(events, events)).toEqual({ matches: true, tableEvents: 4, archivedEvents: 4, findings: [] });
  });

  it('names the events a replayed older head hid: the archive still has them', async () => {
    const comparison = await compare(events.slice(0, 2), events);
    expect(comparison.matches).toBe(false);
    expect(comparison.findings).toEqual([
      {
        kind: 'missing-from-table',
        seq: 3,
        message: 'events after 2 are missing from the table: the archive holds 3 (grant.activated), 4 (grant.revoked)',
      },
    ]);
  });

  it('names an event rewritten in the table, and which fields differ', async () => {
    const rewritten = events.map((e) => (e.seq === 2 ? { ...e, actor: 'mallory', type: 'grant.denied' } : e));
    expect((await compare(rewritten, events)).findings).toEqual([
      {
        kind: 'differs',
        seq: 2,
        message:
          'event 2 (grant.denied) differs from its archived copy in actor, type; the archive says grant.approved',
      },
    ]);
  });

  it('names a middle event deleted from the table, and a grant deleted altogether', async () => {
    expect((await compare([events[0]!, events[2]!, events[3]!], events)).findings).toEqual([
      {
        kind: 'missing-from-table',
        seq: 2,
        message: 'event 2 (grant.approved) is in the archive but missing from the table',
      },
    ]);
    expect((await compare([], events)).findings[0]?.message).toBe(
      'every event is missing from the table: the archive holds 1 (grant.requested), 2 (grant.approved), 3 (grant.activated), 4 (grant.revoked)'
    );
  });

  it('does not call an event that is only hours old missing from the archive, but does after the stream gave up', async () => {
    const recent = await compare(events, events.slice(0, 3), { hoursLater: 1 });
    expect(recent).toMatchObject({
      matches: true,
      findings: [{ kind: 'not-archived-yet', seq: 4, message: 'event 4 (grant.revoked) is not archived yet' }],
    });
    const old = await compare(events, events.slice(0, 3), { hoursLater: 48 });
    expect(old.matches).toBe(false);
    expect(old.findings[0]).toMatchObject({ kind: 'missing-from-archive', seq: 4 });
  });

  it('says when the archive itself does not hold a chain the broker signed', async () => {
    const forged = events.map((e) => (e.seq === 3 ? { ...e, actor: 'mallory' } : e));
    const comparison = await compare(forged, forged);
    expect(comparison.matches).toBe(false);
    expect(comparison.findings).toEqual([
      {
        kind: 'archived-chain-broken',
        seq: 3,
        message: 'the archived chain itself does not verify: event 3 (grant.activated) was changed after it was signed',
      },
    ]);
  });
});
