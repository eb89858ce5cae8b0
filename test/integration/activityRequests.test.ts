import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordActivity } from '../../functions/app/recordActivity.js';
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

  it('reads a grant once, then files each of its calls with one transaction', async () => {
    const id = await approvedGrant();
    // CloudTrail delivers a call some time after it was made.
    clock.advance(600);
    expect(await recorded(id, 'one-1', '2026-11-23T09:01:00Z')).toEqual({
      outcome: 'recorded',
      requests: ['GetItemCommand', 'TransactWriteItemsCommand'],
    });
    for (const [eventId, at] of [
      ['one-2', '2026-11-23T09:02:00Z'],
      ['one-3', '2026-11-23T09:03:00Z'],
    ] as const) {
      expect(await recorded(id, eventId, at, 'ListBucket')).toEqual({
        outcome: 'recorded',
        requests: ['TransactWriteItemsCommand'],
      });
    }
    // A redelivery writes nothing new: its transaction fails on the marker; the times stay.
    expect((await recorded(id, 'one-2', '2026-11-23T09:02:00Z')).outcome).toBe('duplicate');
    // Out of order: counted, then the first use moves back with a conditional update.
    expect((await recorded(id, 'one-0', '2026-11-23T09:00:30Z')).outcome).toBe('recorded');
    const { body } = await api.as('alice').get(`/grants/${id}/audit`);
    expect(body.activity).toMatchObject({
      actions: { 's3:GetObject': 2, 's3:ListBucket': 2 },
      calls: 4,
      firstUsedAt: '2026-11-23T09:00:30.000Z',
      lastUsedAt: '2026-11-23T09:03:00.000Z',
    });
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
    const { body } = await api.as('alice').get(`/grants/${id}/audit`);
    expect(body.activity).toMatchObject({ afterEndCount: 1, afterEndOutcomes: { succeeded: 1 } });
  });
});
