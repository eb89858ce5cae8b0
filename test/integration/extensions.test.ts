import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrokerConfig } from '../../functions/config/brokerConfig.js';
import { loadConfig } from '../../functions/config/loadConfig.js';
import type { CatalogRole } from '../../functions/domain/catalog.js';
import { grantRequest, startApi } from '../helpers/apiServer.js';
import { brokerOnFreshTable, manualClock } from '../helpers/fixtures.js';

/** The example configuration plus one policy that depends on how long a grant lasts in all. */
const LONG_READS_FORBIDDEN = `
@id("prod-read-at-most-2h")
@reason("prod-read for more than 2h in all needs a new request")
forbid (principal, action == Jit::Action::"request", resource == Jit::Role::"prod-read")
when { context.durationSeconds > 7200 };
`;

describe('Extending a grant (Cedar, DynamoDB Local)', () => {
  let dir: string;
  let config: BrokerConfig;
  let broker: Awaited<ReturnType<typeof brokerOnFreshTable>>;
  let api: Awaited<ReturnType<typeof startApi>>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jit-extend-'));
    await cp('config', dir, { recursive: true });
    await writeFile(join(dir, 'policies', 'extension-test.cedar'), LONG_READS_FORBIDDEN);
    config = await loadConfig(dir);
    broker = await brokerOnFreshTable({ config, clock: manualClock(new Date('2026-11-23T09:00:00.000Z')) });
    api = await startApi(broker.deps);
  });
  afterAll(async () => {
    await api.close();
    await broker.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  /** A prod-read grant for `seconds`, approved by bob. */
  const approvedRead = async (seconds: number): Promise<string> => {
    const created = await api.as('alice').post('/grants', grantRequest({ durationSeconds: seconds }));
    expect(created.status).toBe(201);
    expect((await api.as('bob').post(`/grants/${created.body.id}/approve`)).body.state).toBe('APPROVED');
    return created.body.id;
  };

  const extend = (id: string, seconds: number, reason = 'the backfill needs more time') =>
    api.as('alice').post(`/grants/${id}/extend`, { durationSeconds: seconds, reason });

  it('asks the policies again with the new total length, and records who allowed it', async () => {
    const id = await approvedRead(3600);
    const first = await extend(id, 1800);
    expect(first.status).toBe(200);
    expect((await api.as('bob').post(`/grants/${id}/approve`)).body.durationSeconds).toBe(5400);
    const audit = (await api.as('alice').get(`/grants/${id}/audit`)).body;
    const asked = audit.events.find((e: { type: string }) => e.type === 'grant.extension-requested');
    expect(asked.details).toMatchObject({ totalSeconds: 5400, permittedBy: ['prod-read-sre-approves'] });

    // 1h30m + 1h is 2h30m in all: the forbid sees the total, not the hour asked for now.
    const before = await broker.itemCount();
    const second = await extend(id, 3600);
    expect(second.status).toBe(403);
    expect(second.body.error.code).toBe('POLICY_DENIED');
    expect(second.body.error.message).toContain('`prod-read-at-most-2h`');
    expect(await broker.itemCount()).toBe(before);
  });

  it('never lets extensions add up past the longest the role and its policies allow', async () => {
    // prod-admin: at most 1h (catalog and policy), two approvers, a ticket.
    const created = await api
      .as('alice')
      .post('/grants', grantRequest({ role: 'prod-admin', ticket: 'INC-7', durationSeconds: 1800 }));
    const id = created.body.id;
    await api.as('bob').post(`/grants/${id}/approve`);
    await api.as('dave').post(`/grants/${id}/approve`);

    const tooMuch = await extend(id, 3600);
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.body.error).toMatchObject({ code: 'DURATION_OUT_OF_RANGE' });
    expect(tooMuch.body.error.message).toContain('between 15m and 30m (900–1800 seconds)');

    expect((await extend(id, 1800)).status).toBe(200);
    await api.as('bob').post(`/grants/${id}/approve`);
    expect((await api.as('dave').post(`/grants/${id}/approve`)).body.durationSeconds).toBe(3600);

    const again = await extend(id, 900);
    expect(again.status).toBe(400);
    expect(again.body.error.code).toBe('EXTENSION_LIMIT_REACHED');
    expect(again.body.error.message).toContain('1h of the 1h role prod-admin allows in all');
  });

  it('refuses to extend a task the role ceiling no longer covers, and leaves the grant as it was', async () => {
    const id = await approvedRead(1800);
    const roles = config.catalog.roles as Map<string, CatalogRole>;
    const original = roles.get('prod-read') as CatalogRole;
    // The operator narrows prod-read to one other bucket after the grant was approved.
    roles.set('prod-read', {
      ...original,
      scopeCeiling: { actions: ['s3:GetObject'], resources: ['arn:aws:s3:::example-other/*'] },
    });
    try {
      const before = (await api.as('alice').get(`/grants/${id}`)).body;
      const answer = await extend(id, 900);
      expect(answer.status).toBe(409);
      expect(answer.body.error.code).toBe('SCOPE_NO_LONGER_ALLOWED');
      expect(answer.body.error.message).toContain("reaches outside role prod-read's ceiling");
      expect((await api.as('alice').get(`/grants/${id}`)).body).toEqual(before);
    } finally {
      roles.set('prod-read', original);
    }
  });

  it('vends the extended time with the policy rendered against the current catalog', async () => {
    const wildcard = { actions: ['s3:Get*'], resources: ['arn:aws:s3:::example-bucket/*'] };
    const created = await api.as('alice').post('/grants', grantRequest({ scope: wildcard, durationSeconds: 1800 }));
    const id = created.body.id;
    await api.as('bob').post(`/grants/${id}/approve`);
    expect(JSON.parse(created.body.sessionPolicy).Statement[0].Action).toEqual(['s3:Get*']);
    const roles = config.catalog.roles as Map<string, CatalogRole>;
    const original = roles.get('prod-read') as CatalogRole;
    // Same reach today, but no longer as one glob: the policy must list the actions it meant.
    const getActions = (await broker.deps.actions.expand('s3:Get*')) ?? [];
    roles.set('prod-read', { ...original, scopeCeiling: { ...original.scopeCeiling, actions: [...getActions] } });
    try {
      expect((await extend(id, 900)).status).toBe(200);
      const extended = (await api.as('bob').post(`/grants/${id}/approve`)).body;
      const actions = JSON.parse(extended.sessionPolicy).Statement[0].Action;
      expect(actions).not.toContain('s3:Get*');
      expect(actions).toContain('s3:GetObject');
    } finally {
      roles.set('prod-read', original);
    }
  });
});
