import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KILL_POLICY_NAME } from '../../functions/domain/sessionKill.js';
import { grantRequest } from '../helpers/apiServer.js';
import { type CredentialProcessOutput, type EmulatedBroker, emulatedBroker } from '../helpers/emulatedBroker.js';

const PROD_READ = 'arn:aws:iam::123456789012:role/jit/prod-read';

describe('Vending and ending access (DynamoDB Local + AWS emulator)', () => {
  let env: EmulatedBroker;
  beforeAll(async () => {
    env = await emulatedBroker();
  });
  afterAll(() => env.dispose());

  const approvedGrant = async (user = 'alice', overrides: Record<string, unknown> = {}): Promise<string> => {
    const created = await env.api.as(user).post('/grants', grantRequest(overrides));
    expect(created.status).toBe(201);
    const approved = await env.api.as('bob').post(`/grants/${created.body.id}/approve`);
    expect(approved.body.state).toBe('APPROVED');
    return created.body.id;
  };
  const vend = async (grantId: string, user = 'alice') => env.api.as(user).post(`/grants/${grantId}/credentials`);
  const killPolicy = () => env.killedOn('prod-read');

  it('stores the session policy narrowed to the task, and its width, on request', async () => {
    const created = await env.api.as('alice').post('/grants', grantRequest());
    expect(JSON.parse(created.body.sessionPolicy)).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Sid: 'JitTask', Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::example-bucket/*'] },
      ],
    });
    expect(created.body.privilegeWidth).toBe(1);
  });

  it('schedules expiry at approval: at() in UTC, no flexible window, deleted after it runs', async () => {
    const id = await approvedGrant();
    const grant = (await env.api.as('alice').get(`/grants/${id}`)).body;
    const schedule = await env.schedule(id);
    const at = new Date(Math.ceil(Date.parse(grant.expiresAt) / 1000) * 1000).toISOString().slice(0, 19);
    expect(schedule).toMatchObject({
      ScheduleExpression: `at(${at})`,
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
    });
    expect(JSON.parse(schedule?.Target?.Input ?? '{}')).toEqual({ grantId: id, reason: 'expiry' });
  });

  it('vends credential_process credentials that the emulator knows as the grant’s session', async () => {
    const id = await approvedGrant();
    const answer = await vend(id);
    expect(answer.status).toBe(200);
    const creds = answer.body as CredentialProcessOutput;
    expect(Object.keys(creds).sort()).toEqual([
      'AccessKeyId',
      'Expiration',
      'SecretAccessKey',
      'SessionToken',
      'Version',
    ]);
    expect(creds.Version).toBe(1);
    expect(creds.AccessKeyId).toMatch(/^ASIA/);
    const identity = await env.callerIdentity(creds);
    expect(identity.Arn).toBe(`arn:aws:sts::123456789012:assumed-role/prod-read/alice.${id}`);

    const grant = (await env.api.as('alice').get(`/grants/${id}`)).body;
    expect(grant).toMatchObject({ state: 'ACTIVE', vendCount: 1 });
    const audit = (await env.api.as('alice').get(`/grants/${id}/audit`)).body;
    const activated = audit.events.find((e: { type: string }) => e.type === 'grant.activated');
    expect(activated.details).toMatchObject({ accessKeyId: creds.AccessKeyId, expiration: creds.Expiration });
    expect(JSON.stringify(audit)).not.toContain(creds.SecretAccessKey);
  });

  it('vends only to the requester, and only while the grant lasts', async () => {
    const id = await approvedGrant();
    expect((await vend(id, 'bob')).body.error.code).toBe('NOT_REQUESTER');
    const pending = await env.api.as('alice').post('/grants', grantRequest());
    const early = await vend(pending.body.id);
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('GRANT_NOT_APPROVED');
  });

  it('on done, denies exactly that grant’s sessions on the role and leaves another grant alive', async () => {
    const ended = await approvedGrant('alice');
    const alive = await approvedGrant('erin');
    await vend(ended, 'alice');
    await vend(alive, 'erin');
    const done = await env.api.as('alice').post(`/grants/${ended}/done`);
    expect(done.body.state).toBe('ENDED');
    const denied = await killPolicy();
    expect(denied).toContain(ended);
    expect(denied).not.toContain(alive);
    expect(await env.schedule(ended)).toBeUndefined();
    const audit = (await env.api.as('alice').get(`/grants/${ended}/audit`)).body;
    expect(audit.events.map((e: { type: string }) => e.type).slice(-2)).toEqual([
      'grant.ended',
      'grant.sessions-killed',
    ]);
    expect(audit.chain.valid).toBe(true);
    expect((await vend(alive, 'erin')).status).toBe(200);
    expect((await vend(ended, 'alice')).body.error.code).toBe('GRANT_ENDED');
  });

  it('denies both grants when two are ended at the same moment on one role', async () => {
    const first = await approvedGrant('alice');
    const second = await approvedGrant('erin');
    await vend(first, 'alice');
    await vend(second, 'erin');
    await Promise.all([
      env.api.as('alice').post(`/grants/${first}/done`),
      env.api.as('dave').post(`/grants/${second}/revoke`, { reason: 'laptop stolen' }),
    ]);
    const denied = await killPolicy();
    expect(denied).toEqual(expect.arrayContaining([first, second]));
  });

  it('falls back to a role-wide deny, loudly, when the role has no room left for the kill list', async () => {
    const adminRole = 'arn:aws:iam::123456789012:role/jit/prod-admin';
    // A platform team's own inline policy that uses almost all of the role's 10,240 characters.
    const filler = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${'x'.repeat(10_000)}` }],
    });
    await env.deps.rolePolicies.put(adminRole, { name: 'platform-team', document: filler });
    const created = await env.api.as('alice').post('/grants', grantRequest({ role: 'prod-admin', ticket: 'INC-4711' }));
    await env.api.as('bob').post(`/grants/${created.body.id}/approve`);
    await env.api.as('dave').post(`/grants/${created.body.id}/approve`);
    await vend(created.body.id);
    await env.api.as('alice').post(`/grants/${created.body.id}/done`);
    const policies = await env.deps.rolePolicies.list(adminRole);
    const kill = JSON.parse(policies.find((p) => p.name === KILL_POLICY_NAME)?.document ?? '{}');
    expect(kill.Statement[0].Condition).toHaveProperty(['DateLessThan', 'aws:TokenIssueTime']);
    expect(policies.find((p) => p.name === 'platform-team')?.document).toBe(filler);
    expect(env.logLines.some((l) => l.includes('"alert":"kill-overflow"') && l.includes(created.body.id))).toBe(true);
    await env.deps.rolePolicies.delete(adminRole, 'platform-team');
  });

  it('lets only security revoke, with a reason', async () => {
    const id = await approvedGrant();
    expect((await env.api.as('bob').post(`/grants/${id}/revoke`, { reason: 'x' })).body.error.code).toBe(
      'NOT_SECURITY'
    );
    expect((await env.api.as('dave').post(`/grants/${id}/revoke`)).status).toBe(400);
    const revoked = await env.api.as('dave').post(`/grants/${id}/revoke`, { reason: 'incident 42' });
    expect(revoked.body).toMatchObject({ state: 'REVOKED', endReason: 'incident 42' });
  });

  it('fires a due expiry schedule through the expiry handler, ends the grant and kills its session', async () => {
    const id = await approvedGrant('alice', { durationSeconds: 900 });
    env.clock.advance(600);
    await vend(id); // 5 minutes left: STS's 900 s minimum outlives the grant
    env.clock.advance(301);
    const fired = await env.dispatcher.tick();
    expect(fired).toContain(`jit-expire-${id}`);
    const grant = (await env.api.as('alice').get(`/grants/${id}`)).body;
    expect(grant).toMatchObject({ state: 'EXPIRED', endedBy: 'system' });
    expect(await killPolicy()).toContain(id);
    expect(await env.schedule(id)).toBeUndefined();
    // A retried delivery of the same schedule changes nothing.
    expect(await env.fireExpiry(id)).toEqual({ grantId: id, outcome: 'already-ended' });
    expect((await env.deps.store.get(id))?.version).toBe(grant.version);
  });

  it('extends a running grant only after approval, moving its expiry and its schedule', async () => {
    const id = await approvedGrant('alice', { durationSeconds: 1800 });
    await vend(id);
    const before = (await env.api.as('alice').get(`/grants/${id}`)).body;
    const asked = await env.api.as('alice').post(`/grants/${id}/extend`, {
      durationSeconds: 1800,
      reason: 'the export backfill needs another half hour',
    });
    expect(asked.body.extension).toMatchObject({ durationSeconds: 1800, approvals: [] });
    expect(asked.body.expiresAt).toBe(before.expiresAt);
    expect((await env.api.as('alice').post(`/grants/${id}/approve`)).body.error.code).toBe('SELF_APPROVAL');
    const inbox = (await env.api.as('carol').get('/grants?inbox')).body.grants.map((g: { id: string }) => g.id);
    expect(inbox).toContain(id);
    const extended = await env.api.as('carol').post(`/grants/${id}/approve`);
    const moved = new Date(Date.parse(before.expiresAt) + 1800 * 1000).toISOString();
    expect(extended.body).toMatchObject({ state: 'ACTIVE', expiresAt: moved });
    expect(extended.body.extension).toBeUndefined();
    const at = new Date(Math.ceil(Date.parse(moved) / 1000) * 1000).toISOString().slice(0, 19);
    expect((await env.schedule(id))?.ScheduleExpression).toBe(`at(${at})`);
  });

  it('keeps the expiry when an extension is denied', async () => {
    const id = await approvedGrant('alice', { durationSeconds: 1800 });
    const before = (await env.api.as('alice').get(`/grants/${id}`)).body;
    await env.api.as('alice').post(`/grants/${id}/extend`, { durationSeconds: 900, reason: 'one more query to run' });
    expect(
      (await env.api.as('alice').post(`/grants/${id}/extend`, { durationSeconds: 900, reason: 'and another one' })).body
        .error.code
    ).toBe('EXTENSION_PENDING');
    const denied = await env.api.as('bob').post(`/grants/${id}/deny`, { comment: 'finish tomorrow' });
    expect(denied.body).toMatchObject({ state: 'APPROVED', expiresAt: before.expiresAt });
    expect(denied.body.extension).toBeUndefined();
    const audit = (await env.api.as('alice').get(`/grants/${id}/audit`)).body;
    expect(audit.events.map((e: { type: string }) => e.type).slice(-2)).toEqual([
      'grant.extension-requested',
      'grant.extension-denied',
    ]);
  });

  // Before the test below moves the clock past the emulator's (real-time) credential expiry.
  it('records the prune of a kill in the grant chain, once', async () => {
    const id = await approvedGrant('alice', { durationSeconds: 900 });
    expect((await vend(id, 'alice')).status).toBe(200);
    expect((await env.api.as('alice').post(`/grants/${id}/done`)).status).toBe(200);
    env.clock.advance(3600 + 600);
    await env.sweep();
    const audit = await env.api.as('alice').get(`/grants/${id}/audit`);
    expect(audit.body.chain.valid).toBe(true);
    const types = audit.body.events.map((e: { type: string }) => e.type);
    expect(types.slice(-3)).toEqual(['grant.ended', 'grant.sessions-killed', 'grant.kill-pruned']);
    expect((await env.deps.store.listKills(PROD_READ)).filter((k) => k.grantId === id)).toEqual([]);
    // A later sweep finds nothing to prune and writes nothing more.
    await env.sweep();
    expect((await env.api.as('alice').get(`/grants/${id}/audit`)).body.events).toHaveLength(types.length);
  });

  it('sweeps a grant whose schedule was lost, and prunes kills once the credentials are dead', async () => {
    const id = await approvedGrant('alice', { durationSeconds: 900 });
    await vend(id);
    await env.loseSchedule(id);
    env.clock.advance(901);
    const first = await env.sweep();
    expect(first.accessExpired).toContain(id);
    expect((await env.api.as('alice').get(`/grants/${id}`)).body.state).toBe('EXPIRED');
    env.clock.advance(3600 + 600);
    await env.sweep();
    expect(await env.deps.store.listKills(PROD_READ)).toEqual([]);
    expect(await killPolicy()).toBeUndefined();
  });
});
