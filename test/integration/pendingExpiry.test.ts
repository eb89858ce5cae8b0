import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepPending } from '../../functions/app/sweepPending.js';
import { grantRequest, startApi } from '../helpers/apiServer.js';
import { asFunction } from '../helpers/awsCallRecorder.js';
import { brokerOnFreshTable, manualClock } from '../helpers/fixtures.js';

describe('Pending window', () => {
  const clock = manualClock(new Date());
  let broker: Awaited<ReturnType<typeof brokerOnFreshTable>>;
  let api: Awaited<ReturnType<typeof startApi>>;

  beforeAll(async () => {
    broker = await brokerOnFreshTable({ clock });
    api = await startApi(broker.deps);
  });
  afterAll(async () => {
    await api.close();
    await broker.dispose();
  });

  it('expires a request on approval after its window, and tells the approver', async () => {
    const { body } = await api.as('alice').post('/grants', grantRequest());
    clock.advance(2 * 3600 + 1); // prod-read waits at most 2h for approval
    const late = await api.as('bob').post(`/grants/${body.id}/approve`);
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('GRANT_EXPIRED');
    const audit = await api.as('alice').get(`/grants/${body.id}/audit`);
    expect(audit.body.state).toBe('EXPIRED');
    expect(audit.body.events.at(-1)).toMatchObject({ type: 'grant.expired', actor: 'system' });
    expect(audit.body.chain.valid).toBe(true);
  });

  it('sweeps only the overdue requests, oldest deadline first, and is safe to repeat', async () => {
    const early = await api.as('erin').post('/grants', grantRequest());
    clock.advance(3600);
    const later = await api.as('erin').post('/grants', grantRequest());
    clock.advance(3600 + 1); // early is 2h+1s old, later 1h+1s
    const first = await asFunction('sweep', () => sweepPending(broker.deps));
    expect(first.expired).toContain(early.body.id);
    expect(first.expired).not.toContain(later.body.id);
    expect((await asFunction('sweep', () => sweepPending(broker.deps))).expired).not.toContain(early.body.id);
    expect((await api.as('erin').get(`/grants/${later.body.id}`)).body.state).toBe('PENDING');
    const inbox = await api.as('bob').get('/grants?inbox');
    const ids = inbox.body.grants.map((g: { id: string }) => g.id);
    expect(ids).toContain(later.body.id);
    expect(ids).not.toContain(early.body.id);
  });

  it('counts access time from the approval, not from the request', async () => {
    const { body } = await api.as('alice').post('/grants', grantRequest({ durationSeconds: 3600 }));
    clock.advance(1800);
    const approved = await api.as('carol').post(`/grants/${body.id}/approve`);
    expect(Date.parse(approved.body.expiresAt)).toBe(clock.now().getTime() + 3600 * 1000);
  });
});
