import { describe, expect, it } from 'vitest';
import { localChainSigner } from '../../functions/adapters/localChainSigner.js';
import { SignedGrantStore } from '../../functions/app/signedGrantStore.js';
import type { AuditEvent } from '../../functions/domain/auditChain.js';
import { verifyChain } from '../../functions/domain/chainVerdict.js';
import { approve, autoApprove } from '../../functions/domain/decisions.js';
import { killFact, revoke } from '../../functions/domain/ending.js';
import { ConflictError } from '../../functions/domain/errors.js';
import type { Grant, KillRecord, Transition } from '../../functions/domain/grant.js';
import { UNTIL_SOMEONE_LOOKS } from '../../functions/domain/killAttestation.js';
import { recordVend } from '../../functions/domain/vending.js';
import type { Alerts, GrantStore, StoredKill } from '../../functions/ports.js';
import { rejectionOf } from '../helpers/awsFaults.js';
import { at, openedGrant, people, ROLE } from '../helpers/signedChains.js';

const { alice, bob, dave } = people;

/** The table as a map: what the signing layer hands the DynamoDB store, kept as it would be written. */
const memoryStore = () => {
  const grants = new Map<string, Grant>();
  const events = new Map<string, AuditEvent[]>();
  const kills = new Map<string, StoredKill>();
  const append = ({ grant, event, kill }: Transition) => {
    grants.set(grant.id, grant);
    events.set(grant.id, [...(events.get(grant.id) ?? []), event]);
    if (kill) kills.set(kill.grantId, kill);
  };
  const store: GrantStore = {
    create: async (opened, then) => {
      append(opened);
      if (then) append(then);
    },
    transition: async (_from, t) => append(t),
    recordKillsApplied: async (applied) => {
      for (const a of applied) append(a.to);
      return [];
    },
    recordKillPruned: async (_from, t, kill) => {
      append(t);
      kills.delete(kill.grantId);
    },
    get: async (id) => grants.get(id),
    getMany: async (ids) => ids.flatMap((id) => grants.get(id) ?? []),
    auditTrail: async (id) => events.get(id) ?? [],
    listKills: async (roleArn) => [...kills.values()].filter((k) => k.roleArn === roleArn),
    listAllKills: async () => [...kills.values()],
    deleteKill: async (kill) => void kills.delete(kill.grantId),
    listByRequester: async () => ({ items: [] }),
    listByRole: async () => ({ items: [] }),
    listByState: async () => ({ items: [] }),
  };
  return { store, grants, events, kills };
};

const setUp = () => {
  const table = memoryStore();
  const signer = localChainSigner();
  const raised: { kind: string; details: Record<string, unknown> }[] = [];
  const alerts: Alerts = { raise: async (kind, details) => void raised.push({ kind, details }) };
  const logger = { info: () => {}, warn: () => {}, error: () => {} };
  /** What the store handed on once stored (the sandbox archives it), by grant and sequence number. */
  const handedOn: string[] = [];
  const afterAppend = async (event: AuditEvent) => void handedOn.push(`${event.grantId}#${event.seq}`);
  const store = new SignedGrantStore(table.store, { signer, alerts, logger, afterAppend });
  const verdict = async (id: string) =>
    verifyChain(table.grants.get(id) as Grant, table.events.get(id) ?? [], (s, sig) => signer.verify(s, sig));
  return { ...table, signer, store, raised, verdict, handedOn };
};

const opened = openedGrant;

/** A grant requested, approved, vended and revoked through the signing store: it has a kill record. */
const VEND = {
  accessKeyId: 'ASIA1',
  expiration: at(3600),
  assumedRoleArn: 'a',
  sessionName: 's',
  durationSeconds: 3540,
};

const revokedWithKill = async (t: ReturnType<typeof setUp>) => {
  const first = opened();
  await t.store.create(first);
  const read = async () => t.grants.get(first.grant.id) as Grant;
  await t.store.transition(await read(), approve(await read(), bob, at(60)));
  await t.store.transition(await read(), recordVend(await read(), alice, VEND, at(60)));
  const ended = revoke(await read(), dave, ['group:security'], at(120), 'suspicious');
  await t.store.transition(await read(), ended);
  return { id: first.grant.id, kill: ended.kill as KillRecord };
};

describe('SignedGrantStore', () => {
  it('signs every append, so the stored chain verifies', async () => {
    const t = setUp();
    const { id } = await revokedWithKill(t);
    expect(await t.verdict(id)).toMatchObject({ valid: true, length: 4, signedBy: [t.signer.keyId] });
    expect(t.grants.get(id)?.chainSignature).toEqual(t.events.get(id)?.at(-1)?.signature);
  });

  it('refuses to approve, vend or extend from a record changed outside the broker, and writes nothing', async () => {
    const t = setUp();
    const first = opened();
    await t.store.create(first);
    // Someone with table access widens the stored session policy without an event.
    const forged = { ...first.grant, sessionPolicy: '{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}' };
    t.grants.set(forged.id, forged);
    const error = await rejectionOf(t.store.transition(forged, approve(forged, bob, at(60))));
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ code: 'GRANT_RECORD_TAMPERED' });
    expect(t.events.get(forged.id)).toHaveLength(1);
    expect(t.raised).toEqual([expect.objectContaining({ kind: 'audit-tampered' })]);
  });

  it('extends from the very grant object it wrote in this process, as a policy approval right after the request does', async () => {
    const t = setUp();
    const first = opened();
    await t.store.create(first);
    const approved = approve(first.grant, bob, at(60));
    await t.store.transition(first.grant, approved);
    await t.store.transition(approved.grant, recordVend(approved.grant, alice, VEND, at(90)));
    expect(await t.verdict(first.grant.id)).toMatchObject({ valid: true, length: 3 });
    // A copy is not the object this process signed: it must match the signature like any record read.
    const copy = { ...approved.grant, sessionPolicy: '{"Statement":[]}' };
    const error = await rejectionOf(t.store.transition(copy, recordVend(copy, alice, VEND, at(95))));
    expect(error).toMatchObject({ code: 'GRANT_RECORD_TAMPERED' });
  });

  it('stores a policy approval with its request in one write, each event signed, and extends from it', async () => {
    const t = setUp();
    const first = opened();
    const approved = autoApprove(first.grant, 'auto', at(1));
    await t.store.create(first, approved);
    expect(t.grants.get(first.grant.id)?.state).toBe('APPROVED');
    expect(await t.verdict(first.grant.id)).toMatchObject({ valid: true, length: 2 });
    expect(t.handedOn.sort()).toEqual([`${first.grant.id}#1`, `${first.grant.id}#2`]);
    // The vend right after extends from the object this process signed, without a read.
    await t.store.transition(approved.grant, recordVend(approved.grant, alice, VEND, at(30)));
    expect(await t.verdict(first.grant.id)).toMatchObject({ valid: true, length: 3 });
  });

  it('asks for the request’s and its approval’s signatures at once (one KMS round trip, not two)', async () => {
    const t = setUp();
    let inFlight = 0;
    let most = 0;
    const slowSigner = {
      ...t.signer,
      sign: async (statement: string) => {
        most = Math.max(most, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight--;
        return t.signer.sign(statement);
      },
    };
    const logger = { info: () => {}, warn: () => {}, error: () => {} };
    const store = new SignedGrantStore(t.store, { signer: slowSigner, alerts: { raise: async () => {} }, logger });
    const first = opened();
    await store.create(first, autoApprove(first.grant, 'auto', at(1)));
    expect(most).toBe(2);
    expect(await t.verdict(first.grant.id)).toMatchObject({ valid: true, length: 2 });
  });

  it('refuses to store with a grant a transition that does not follow its first event', async () => {
    const t = setUp();
    const first = opened();
    const elsewhere = autoApprove(openedGrant(900).grant, 'auto', at(1));
    expect(await rejectionOf(t.store.create(first, elsewhere))).toBeInstanceOf(Error);
    expect(t.grants.size).toBe(0);
    expect(t.handedOn).toEqual([]);
  });

  it('still lets security end a tampered grant, and the chain keeps the evidence', async () => {
    const t = setUp();
    const first = opened();
    await t.store.create(first);
    const stored = t.grants.get(first.grant.id) as Grant;
    await t.store.transition(stored, approve(stored, bob, at(60)));
    const forged = { ...(t.grants.get(first.grant.id) as Grant), expiresAt: '2030-01-01T00:00:00.000Z' };
    await t.store.transition(forged, revoke(forged, dave, ['group:security'], at(120), 'tampered'));
    expect(t.grants.get(forged.id)?.state).toBe('REVOKED');
    expect(t.events.get(forged.id)?.at(-1)?.signature?.appendedTo).toBe('unverified-record');
    expect(await t.verdict(forged.id)).toMatchObject({
      valid: false,
      brokenAt: 3,
      fault: 'appended-to-unverified-record',
    });
    expect(t.raised.map((r) => r.kind)).toEqual(['audit-tampered']);
  });

  it('serves an unchanged kill record as it is', async () => {
    const t = setUp();
    const { kill } = await revokedWithKill(t);
    expect(await t.store.listKills(ROLE.roleArn)).toEqual([kill]);
    expect(t.raised).toEqual([]);
  });

  it('serves a kill record whose until was moved earlier as the chain signed it, and says so', async () => {
    const t = setUp();
    const { kill } = await revokedWithKill(t);
    t.kills.set(kill.grantId, { ...kill, until: at(130).toISOString() });
    const [served] = await t.store.listKills(ROLE.roleArn);
    expect(served?.until).toBe(kill.until);
    expect(served?.tampered).toBe(
      `the kill record differs from the signed event 4 (grant.revoked): until ${at(130).toISOString()} (signed: ${kill.until})`
    );
    expect(t.raised).toEqual([expect.objectContaining({ kind: 'audit-tampered' })]);
  });

  it('keeps the deny in force when the grant or its chain cannot vouch for the record', async () => {
    const t = setUp();
    const { id, kill } = await revokedWithKill(t);
    t.events.set(
      id,
      (t.events.get(id) ?? []).map((e) => (e.seq === 2 ? { ...e, actor: 'mallory' } : e))
    );
    expect((await t.store.listKills(ROLE.roleArn))[0]).toMatchObject({
      until: UNTIL_SOMEONE_LOOKS,
      tampered: expect.stringContaining(
        'audit chain does not verify (event 2 (grant.approved) was changed after it was signed)'
      ),
    });
    t.grants.delete(id);
    expect((await t.store.listKills(ROLE.roleArn))[0]).toMatchObject({
      until: UNTIL_SOMEONE_LOOKS,
      tampered: expect.stringContaining(`the kill record of ${kill.grantId} has no grant in the table`),
    });
  });

  it('signs kill facts like any other event', async () => {
    const t = setUp();
    const { id, kill } = await revokedWithKill(t);
    const grant = t.grants.get(id) as Grant;
    await t.store.recordKillsApplied([
      {
        from: grant,
        to: killFact(grant, 'grant.sessions-killed', { until: kill.until }, at(121)),
        kill,
        scope: 'role',
      },
    ]);
    expect(await t.verdict(id)).toMatchObject({ valid: true, length: 5 });
  });

  it('serves every kill record, as the organization renders them, as the signed chain says', async () => {
    const t = setUp();
    const { kill } = await revokedWithKill(t);
    t.kills.set(kill.grantId, { ...kill, until: '2026-11-23T09:00:01.000Z' });
    expect(await t.store.listAllKills()).toEqual([
      expect.objectContaining({
        until: kill.until,
        tampered: expect.stringContaining('until 2026-11-23T09:00:01.000Z'),
      }),
    ]);
  });
});
