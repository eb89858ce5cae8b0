import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoActivityStore, TALLY_CAPACITY } from '../../functions/adapters/aws/dynamoActivityStore.js';
import { recordActivity } from '../../functions/app/recordActivity.js';
import { type ActivityUse, activityOf } from '../../functions/domain/activity.js';
import { grantRequest, startApi } from '../helpers/apiServer.js';
import { asFunction } from '../helpers/awsCallRecorder.js';
import { assumedRoleCall } from '../helpers/cloudTrailRecords.js';
import { brokerOnFreshTable, manualClock } from '../helpers/fixtures.js';

/** What the recorder asks of DynamoDB Local per CloudTrail event: the figure that carries over to AWS. */
describe('the recorder’s DynamoDB requests', () => {
  // Monday 10:00 in Berlin: business hours for the example policies.
  const clock = manualClock(new Date('2026-11-23T09:00:00.000Z'));
  let broker: Awaited<ReturnType<typeof brokerOnFreshTable>>;
  let api: Awaited<ReturnType<typeof startApi>>;
  let requests: string[];
  const COUNTING = 'count-requests';

  beforeAll(async () => {
    broker = await brokerOnFreshTable({ clock });
    api = await startApi(broker.deps);
    requests = [];
    broker.dynamo.middlewareStack.add(
      (next, context) => async (args) => {
        requests.push(context.commandName as string);
        return next(args);
      },
      { step: 'initialize', name: COUNTING }
    );
  });
  afterAll(async () => {
    broker.dynamo.middlewareStack.remove(COUNTING);
    await api.close();
    await broker.dispose();
  });

  const approvedGrant = async (): Promise<string> => {
    const { body } = await api.as('alice').post('/grants', grantRequest());
    expect((await api.as('bob').post(`/grants/${body.id}/approve`)).status).toBe(200);
    return body.id;
  };
  /** One CloudTrail event through the recorder; the DynamoDB requests it made. */
  const recorded = async (grantId: string, eventId: string, at: string, eventName = 'GetObject') => {
    requests.length = 0;
    const event = assumedRoleCall({ eventId, at, sourceIdentity: grantId, eventName });
    const outcome = await asFunction('recordActivity', () => recordActivity(broker.deps, event));
    return { outcome, requests: [...requests] };
  };

  const recordedActivity = async (grantId: string) =>
    (await api.as('alice').get(`/grants/${grantId}/audit`)).body.activity;

  it('reads a grant once, then files each of its calls with one UpdateItem', async () => {
    const id = await approvedGrant();
    // CloudTrail delivers a call some time after it was made.
    clock.advance(600);
    expect(await recorded(id, 'one-1', '2026-11-23T09:01:00Z')).toEqual({
      outcome: 'recorded',
      requests: ['GetItemCommand', 'UpdateItemCommand'],
    });
    for (const [eventId, at] of [
      ['one-2', '2026-11-23T09:02:00Z'],
      ['one-3', '2026-11-23T09:03:00Z'],
    ] as const) {
      expect(await recorded(id, eventId, at, 'ListBucket')).toEqual({
        outcome: 'recorded',
        requests: ['UpdateItemCommand'],
      });
    }
    // A redelivery writes nothing new: its update fails on the tally's event ids, and says so.
    expect(await recorded(id, 'one-2', '2026-11-23T09:02:00Z')).toEqual({
      outcome: 'duplicate',
      requests: ['UpdateItemCommand'],
    });
    // Out of order in its hour: the tally turns it away, the transaction counts it and moves the first use back.
    const early = await recorded(id, 'one-0', '2026-11-23T09:00:30Z');
    expect(early.outcome).toBe('recorded');
    expect(early.requests.slice(0, 2)).toEqual(['UpdateItemCommand', 'TransactWriteItemsCommand']);
    expect((await recorded(id, 'one-0', '2026-11-23T09:00:30Z')).outcome).toBe('duplicate');
    // The tally turned a call away but is not full: it still tallies the calls that follow.
    expect(await recorded(id, 'one-4', '2026-11-23T09:04:00Z')).toEqual({
      outcome: 'recorded',
      requests: ['UpdateItemCommand'],
    });
    // An earlier hour has a tally of its own.
    expect(await recorded(id, 'one-00', '2026-11-23T08:59:59Z')).toEqual({
      outcome: 'recorded',
      requests: ['UpdateItemCommand'],
    });
    expect(await recordedActivity(id)).toMatchObject({
      actions: { 's3:GetObject': 4, 's3:ListBucket': 2 },
      calls: 6,
      firstUsedAt: '2026-11-23T08:59:59.000Z',
      lastUsedAt: '2026-11-23T09:04:00.000Z',
    });
  });

  it(`tallies ${TALLY_CAPACITY} calls of an hour, then counts the rest by transaction, each event once`, async () => {
    const id = await approvedGrant();
    clock.advance(3600);
    const at = (i: number) => new Date(Date.parse('2026-11-23T09:10:00Z') + i * 1000).toISOString();
    for (let i = 0; i < TALLY_CAPACITY; i++) {
      const { outcome, requests: asked } = await recorded(id, `full-${i}`, at(i));
      expect(outcome).toBe('recorded');
      expect(asked.at(-1)).toBe('UpdateItemCommand');
    }
    const past = await recorded(id, 'full-past', at(TALLY_CAPACITY));
    expect(past).toEqual({ outcome: 'recorded', requests: ['UpdateItemCommand', 'TransactWriteItemsCommand'] });
    // A full tally never changes: the process keeps its ids and asks it no more.
    expect(await recorded(id, 'full-next', at(TALLY_CAPACITY + 1))).toEqual({
      outcome: 'recorded',
      requests: ['TransactWriteItemsCommand'],
    });
    // Redeliveries of either kind count nothing, the ones the transaction counted included.
    expect((await recorded(id, 'full-past', at(TALLY_CAPACITY))).outcome).toBe('duplicate');
    expect(await recorded(id, 'full-0', at(0))).toEqual({ outcome: 'duplicate', requests: [] });
    // So does a process that has not seen the tally full: it asks the tally, then the transaction.
    const otherProcess = new DynamoActivityStore(broker.dynamo, broker.tableName);
    const use = (eventId: string, i: number) =>
      activityOf(assumedRoleCall({ eventId, at: at(i), sourceIdentity: id })) as ActivityUse;
    const live = { phase: 'live', outcome: 'succeeded' } as const;
    expect(await otherProcess.record(use('full-0', 0), live)).toBe('duplicate');
    expect(await otherProcess.record(use('full-next', TALLY_CAPACITY + 1), live)).toBe('duplicate');
    expect(await recordedActivity(id)).toMatchObject({
      calls: TALLY_CAPACITY + 2,
      actions: { 's3:GetObject': TALLY_CAPACITY + 2 },
      firstUsedAt: at(0),
      lastUsedAt: at(TALLY_CAPACITY + 1),
    });
  });

  it('counts an event delivered several times at once exactly once', async () => {
    const id = await approvedGrant();
    clock.advance(600);
    await recorded(id, 'race-0', '2026-11-23T09:30:00Z');
    const event = assumedRoleCall({ eventId: 'race-1', at: '2026-11-23T09:31:00Z', sourceIdentity: id });
    const outcomes = await Promise.all([1, 2, 3].map(() => recordActivity(broker.deps, event)));
    expect(outcomes.sort()).toEqual(['duplicate', 'duplicate', 'recorded']);
    expect(await recordedActivity(id)).toMatchObject({ calls: 2, lastUsedAt: '2026-11-23T09:31:00.000Z' });
  });

  it('reads the grant again for a call made after its last read: it may have ended since', async () => {
    const id = await approvedGrant();
    expect((await recorded(id, 'two-1', clock.now().toISOString())).requests[0]).toBe('GetItemCommand');
    clock.advance(60);
    expect((await api.as('dave').post(`/grants/${id}/revoke`, { reason: 'ended elsewhere' })).status).toBe(200);
    clock.advance(600);
    const late = new Date(clock.now().getTime() - 60_000).toISOString();
    const { outcome, requests: asked } = await recorded(id, 'two-2', late);
    expect(outcome).toBe('recorded');
    expect(asked[0]).toBe('GetItemCommand');
    expect(await recordedActivity(id)).toMatchObject({ afterEndCount: 1, afterEndOutcomes: { succeeded: 1 } });
  });
});
