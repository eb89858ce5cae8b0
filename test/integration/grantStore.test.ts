import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approve, cancel } from '../../functions/domain/decisions.js';
import { ConcurrentUpdateError } from '../../functions/domain/errors.js';
import { openGrant } from '../../functions/domain/grant.js';
import { brokerOnFreshTable, caller } from '../helpers/fixtures.js';

describe('DynamoGrantStore on DynamoDB Local', () => {
  let broker: Awaited<ReturnType<typeof brokerOnFreshTable>>;
  beforeAll(async () => {
    broker = await brokerOnFreshTable();
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
    await broker.deps.store.create(opened);
    expect(await broker.deps.store.get(opened.grant.id)).toEqual(opened.grant);
    expect(await broker.deps.store.auditTrail(opened.grant.id)).toEqual([opened.event]);
  });

  it('refuses to create the same grant twice', async () => {
    const opened = open();
    await broker.deps.store.create(opened);
    await expect(broker.deps.store.create(opened)).rejects.toBeInstanceOf(ConcurrentUpdateError);
  });

  it('applies a transition only from the state and version it was read at', async () => {
    const opened = open();
    await broker.deps.store.create(opened);
    const bob = caller('bob', ['sre']);
    const first = approve(opened.grant, bob, new Date());
    const rival = cancel(opened.grant, caller('alice'), new Date());
    await broker.deps.store.transition(opened.grant, first);
    await expect(broker.deps.store.transition(opened.grant, rival)).rejects.toBeInstanceOf(ConcurrentUpdateError);
    expect((await broker.deps.store.get(opened.grant.id))?.state).toBe('APPROVED');
    expect((await broker.deps.store.auditTrail(opened.grant.id)).map((e) => e.type)).toEqual([
      'grant.requested',
      'grant.approved',
    ]);
  });

  it('indexes open grants by state and drops them from it once they end', async () => {
    const opened = open('erin', 'staging-deploy');
    await broker.deps.store.create(opened);
    const pendingIds = async () =>
      (await broker.deps.store.listByState('PENDING', { limit: 100 })).items.map((g) => g.id);
    expect(await pendingIds()).toContain(opened.grant.id);
    await broker.deps.store.transition(opened.grant, cancel(opened.grant, caller('erin'), new Date()));
    expect(await pendingIds()).not.toContain(opened.grant.id);
    const byRole = await broker.deps.store.listByRole('staging-deploy', { limit: 100 });
    expect(byRole.items.map((g) => g.id)).toContain(opened.grant.id);
  });
});
