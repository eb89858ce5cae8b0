import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoGrantStore } from '../../functions/adapters/aws/dynamoGrantStore.js';
import { DynamoKillLeases } from '../../functions/adapters/aws/dynamoKillLeases.js';
import { approve, cancel } from '../../functions/domain/decisions.js';
import { finish, killFact } from '../../functions/domain/ending.js';
import { ConcurrentUpdateError } from '../../functions/domain/errors.js';
import { type Grant, openGrant } from '../../functions/domain/grant.js';
import { recordVend } from '../../functions/domain/vending.js';
import type { KillApplied, KillScope } from '../../functions/ports.js';
import { brokerOnFreshTable, caller } from '../helpers/fixtures.js';

describe('DynamoGrantStore on DynamoDB Local', () => {
  let broker: Awaited<ReturnType<typeof brokerOnFreshTable>>;
  // The store itself, below the signing layer (signedGrantStore.test.ts covers that one).
  let store: DynamoGrantStore;
  beforeAll(async () => {
    broker = await brokerOnFreshTable();
    store = new DynamoGrantStore(broker.dynamo, broker.tableName);
  });
  afterAll(() => broker.dispose());

  const open = (requester = 'alice', role = 'prod-read') =>
    openGrant({
      id: broker.deps.ids.grantId(),
      requester,
      request: {
        role,
        scope: { actions: ['s3:GetObject'], resources: ['*'] },
        durationSeconds: 900,
        reason: 'store integration test',
      },
      role: broker.deps.config.catalog.roles.get(role)!,
      rule: { approvers: ['group:sre'], required: 1, pendingWindowSeconds: 3600, maxDurationSeconds: 3600, source: [] },
      catalogVersion: 'test',
      narrowed: { sessionPolicy: '{"Version":"2012-10-17","Statement":[]}', privilegeWidth: 1 },
      now: new Date(),
    });

  it('stores a grant and its first event together', async () => {
    const opened = open();
    await store.create(opened);
    expect(await store.get(opened.grant.id)).toEqual(opened.grant);
    expect(await store.auditTrail(opened.grant.id)).toEqual([opened.event]);
  });

  it('refuses to create the same grant twice', async () => {
    const opened = open();
    await store.create(opened);
    await expect(store.create(opened)).rejects.toBeInstanceOf(ConcurrentUpdateError);
  });

  it('applies a transition only from the state and version it was read at', async () => {
    const opened = open();
    await store.create(opened);
    const bob = caller('bob', ['sre']);
    const first = approve(opened.grant, bob, new Date());
    const rival = cancel(opened.grant, caller('alice'), new Date());
    await store.transition(opened.grant, first);
    await expect(store.transition(opened.grant, rival)).rejects.toBeInstanceOf(ConcurrentUpdateError);
    expect((await store.get(opened.grant.id))?.state).toBe('APPROVED');
    expect((await store.auditTrail(opened.grant.id)).map((e) => e.type)).toEqual(['grant.requested', 'grant.approved']);
  });

  it('indexes open grants by state and drops them from it once they end', async () => {
    const opened = open('erin', 'staging-deploy');
    await store.create(opened);
    const pendingIds = async () => (await store.listByState('PENDING', { limit: 100 })).items.map((g) => g.id);
    expect(await pendingIds()).toContain(opened.grant.id);
    await store.transition(opened.grant, cancel(opened.grant, caller('erin'), new Date()));
    expect(await pendingIds()).not.toContain(opened.grant.id);
    const byRole = await store.listByRole('staging-deploy', { limit: 100 });
    expect(byRole.items.map((g) => g.id)).toContain(opened.grant.id);
  });

  /** A grant vended and ended by its requester, stored with its kill record. */
  const endedWithKill = async (): Promise<Grant> => {
    const now = new Date();
    const opened = open();
    await store.create(opened);
    const approved = approve(opened.grant, caller('bob', ['sre']), now);
    await store.transition(opened.grant, approved);
    const issued = {
      accessKeyId: 'ASIATEST',
      expiration: new Date(now.getTime() + 900_000),
      assumedRoleArn: 'arn:aws:sts::123456789012:assumed-role/prod-read/alice.x',
      sessionName: 'alice.x',
      durationSeconds: 900,
    };
    const vended = recordVend(approved.grant, caller('alice'), issued, now);
    await store.transition(approved.grant, vended);
    const ended = finish(vended.grant, caller('alice'), now);
    await store.transition(vended.grant, ended);
    return ended.grant;
  };
  const appliedFact = (grant: Grant, scope: KillScope = 'role'): KillApplied => {
    const kill = { grantId: grant.id, roleArn: grant.roleArn, sourceIdentity: grant.id } as KillApplied['kill'];
    return { from: grant, to: killFact(grant, 'grant.sessions-killed', { scope }, new Date()), kill, scope };
  };

  it('marks many kills applied in batches, each with its grant’s event, once per scope', async () => {
    const grants = await Promise.all(Array.from({ length: 35 }, () => endedWithKill()));
    const roleArn = grants[0]?.roleArn as string;
    let transactions = 0;
    broker.dynamo.middlewareStack.add(
      (next, context) => (args) => {
        if (context.commandName === 'TransactWriteItemsCommand') transactions += 1;
        return next(args);
      },
      { step: 'initialize', name: 'countTransactions' }
    );
    try {
      expect(await store.recordKillsApplied(grants.map((g) => appliedFact(g)))).toEqual([]);
    } finally {
      broker.dynamo.middlewareStack.remove('countTransactions');
    }
    expect(transactions).toBe(2); // 33 marks (99 items) and 2
    const mine = (await store.listKills(roleArn)).filter((k) => grants.some((g) => g.id === k.grantId));
    expect(mine).toHaveLength(35);
    expect(mine.every((k) => k.appliedAt !== undefined && k.orgAppliedAt === undefined)).toBe(true);
    const trail = await store.auditTrail(grants[34]?.id as string);
    expect(trail.map((e) => e.type).at(-1)).toBe('grant.sessions-killed');

    // Again for the same scope: skipped (already marked), nothing written, nothing answered.
    const reread = await store.getMany(grants.map((g) => g.id));
    expect(reread).toHaveLength(35);
    expect(await store.recordKillsApplied(reread.map((g) => appliedFact(g)))).toEqual([]);
    expect(await store.auditTrail(grants[34]?.id as string)).toHaveLength(trail.length);
  });

  it('answers the marks whose grant moved, and writes the others of the same batch', async () => {
    const [moved, fine] = [await endedWithKill(), await endedWithKill()];
    const stale = appliedFact(moved);
    await store.recordKillsApplied([appliedFact(moved, 'organization')]); // moves the grant
    const answered = await store.recordKillsApplied([stale, appliedFact(fine)]);
    expect(answered.map((a) => a.kill.grantId)).toEqual([moved.id]);
    const kills = await store.listKills(fine.roleArn);
    expect(kills.find((k) => k.grantId === fine.id)?.appliedAt).toBeDefined();
    expect(kills.find((k) => k.grantId === moved.id)).toMatchObject({ orgAppliedAt: expect.any(String) });
    expect(kills.find((k) => k.grantId === moved.id)?.appliedAt).toBeUndefined();
  });

  describe('kill leases', () => {
    const leases = () => new DynamoKillLeases(broker.dynamo, broker.tableName);
    const at = (seconds: number) => new Date(Date.parse('2026-11-23T10:00:00.000Z') + seconds * 1000);

    it('lets one renderer claim a target; the others announce to it, and it sees each announcement', async () => {
      const l = leases();
      const lease = await l.claim('role-a', at(0), at(30));
      expect(lease).toEqual({ token: expect.any(String), notices: 0 });
      expect(await l.claim('role-a', at(1), at(31))).toBeUndefined();
      expect(await l.notify('role-a', at(1))).toBe(true);
      expect(await l.release('role-a', lease!)).toBe('notified');
      const renewed = await l.renew('role-a', lease!, at(40));
      expect(renewed).toEqual({ token: lease?.token, notices: 1 });
      expect(await l.release('role-a', renewed!)).toBe('released');
      expect(await l.notify('role-a', at(2))).toBe(false);
    });

    it('lets an expired lease be taken over; the old holder then finds it lost', async () => {
      const l = leases();
      const old = await l.claim('role-b', at(0), at(30));
      expect(await l.notify('role-b', at(31))).toBe(false);
      const taken = await l.claim('role-b', at(31), at(61));
      expect(taken?.token).not.toBe(old?.token);
      expect(await l.renew('role-b', old!, at(70))).toBeUndefined();
      expect(await l.release('role-b', old!)).toBe('lost');
      expect(await l.release('role-b', taken!, true)).toBe('released');
    });
  });
});
