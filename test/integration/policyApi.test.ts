import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestGrant } from '../../functions/app/requestGrant.js';
import { vendCredentials } from '../../functions/app/vendCredentials.js';
import { loadConfig } from '../../functions/config/loadConfig.js';
import type { GrantStore, SessionRequest } from '../../functions/ports.js';
import { grantRequest, startApi } from '../helpers/apiServer.js';
import { brokerOnFreshTable, caller, exampleConfig, manualClock } from '../helpers/fixtures.js';

/** The store, with `method` reported to `seen` each time it is called; everything else as it is. */
const recording = (store: GrantStore, method: keyof GrantStore, seen: () => void): GrantStore =>
  new Proxy(store, {
    get: (target, name) => {
      const member = Reflect.get(target, name, target);
      if (typeof member !== 'function') return member;
      if (name !== method) return member.bind(target);
      return (...args: unknown[]) => {
        seen();
        return member.apply(target, args);
      };
    },
  });

describe('Policies through the API (Cedar, DynamoDB Local)', () => {
  let broker: Awaited<ReturnType<typeof brokerOnFreshTable>>;
  let api: Awaited<ReturnType<typeof startApi>>;

  beforeAll(async () => {
    // Monday 2026-11-23, 10:00 in Berlin: business hours for the example policies.
    broker = await brokerOnFreshTable({ clock: manualClock(new Date('2026-11-23T09:00:00.000Z')) });
    api = await startApi(broker.deps);
  });
  afterAll(async () => {
    await api.close();
    await broker.dispose();
  });

  const itemCount = () => broker.itemCount();

  it('answers 403 POLICY_DENIED with the policy and its reason, and stores only a denial record', async () => {
    const before = await itemCount();
    const answer = await api.as('alice').post('/grants', grantRequest({ role: 'prod-admin' }));
    expect(answer.status).toBe(403);
    expect(answer.body.error.code).toBe('POLICY_DENIED');
    expect(answer.body.error.message).toContain(
      'denied by policy `prod-needs-ticket`: prod-admin needs a ticket matching INC-*'
    );
    // No grant, no event: one denial record for the exceptions report, naming the policy.
    expect(await itemCount()).toBe(before + 1);
    const denials = await broker.deps.denials.list({
      from: '2026-11-23T00:00:00.000Z',
      to: '2026-11-24T00:00:00.000Z',
    });
    expect(denials).toContainEqual({
      at: '2026-11-23T09:00:00.000Z',
      requester: 'alice',
      roleId: 'prod-admin',
      breakGlass: false,
      forbiddenBy: ['prod-needs-ticket'],
    });
  });

  it('keeps the decision and the policies that made it in the grant.requested event', async () => {
    const created = await api
      .as('alice')
      .post('/grants', grantRequest({ role: 'prod-admin', ticket: 'INC-9', durationSeconds: 900 }));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      state: 'PENDING',
      approvers: ['group:sre', 'group:security'],
      requiredApprovals: 2,
    });
    const audit = await api.as('alice').get(`/grants/${created.body.id}/audit`);
    expect(audit.body.events[0].details.policy).toMatchObject({
      eligible: true,
      permittedBy: ['prod-admin-two-approvers'],
      forbiddenBy: [],
      requiredApprovals: 2,
    });
  });

  it('names the policy that limits the duration', async () => {
    const answer = await api
      .as('alice')
      .post('/grants', grantRequest({ role: 'prod-admin', ticket: 'INC-9', durationSeconds: 7200 }));
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('DURATION_OUT_OF_RANGE');
  });

  it('auto-approves a narrow read with a ticket in business hours, as policy:<id>', async () => {
    const created = await api.as('alice').post('/grants', grantRequest({ ticket: 'INC-42' }));
    expect(created.status).toBe(201);
    expect(created.body.state).toBe('APPROVED');
    const audit = await api.as('alice').get(`/grants/${created.body.id}/audit`);
    expect(audit.body.events.map((e: { type: string; actor: string }) => [e.type, e.actor])).toEqual([
      ['grant.requested', 'alice'],
      ['grant.auto-approved', 'policy:prod-read-auto-approve-narrow-reads'],
    ]);
    expect(audit.body.chain.valid).toBe(true);
  });

  /** The steps a request takes, seen through the store's count read and the action catalog. */
  const observed = (deps: typeof broker.deps) => {
    const steps: string[] = [];
    const { actions } = deps;
    return {
      steps,
      deps: {
        ...deps,
        store: recording(deps.store, 'listByRequester', () => steps.push('count')),
        actions: {
          ...actions,
          expand: async (pattern: string) => {
            steps.push('check scope');
            return actions.expand(pattern);
          },
        },
      },
    };
  };
  const countIn = async (deps: typeof broker.deps, grantId: string) => {
    const [requested] = await deps.store.auditTrail(grantId);
    return (requested?.details.policy as { elevationsInWindow?: number } | undefined)?.elevationsInWindow;
  };

  it('counts the requester’s recent grants while it checks the scope, and counts them right', async () => {
    // The examples read the count only for prod-admin: this installation also limits prod-read.
    const dir = mkdtempSync(join(tmpdir(), 'jit-policy-count-'));
    cpSync('config', dir, { recursive: true });
    writeFileSync(
      join(dir, 'policies', 'prod-read-limit.cedar'),
      `@id("prod-read-elevation-limit")
@reason("at most 50 prod-read grants per person in 30 days")
forbid (principal, action == Jit::Action::"request", resource == Jit::Role::"prod-read")
when { context.elevationsInWindow >= 50 };
`
    );
    const limited = await brokerOnFreshTable({
      config: await loadConfig(dir),
      clock: manualClock(new Date('2026-11-23T09:00:00.000Z')),
    });
    try {
      const { steps, deps } = observed(limited.deps);
      const counted = async (ticket: string) => {
        const grant = await requestGrant(deps, caller('erin', ['developers']), { ...grantRequest(), ticket });
        expect(grant.state).toBe('APPROVED');
        return countIn(limited.deps, grant.id);
      };
      const first = await counted('INC-7');
      expect(steps.slice(0, 2)).toEqual(['count', 'check scope']);
      // The grant just approved counts for the next request.
      expect(await counted('INC-8')).toBe((first ?? Number.NaN) + 1);
    } finally {
      await limited.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('does not read the requester’s grants when no policy that can decide on the role reads the count', async () => {
    const { steps, deps } = observed(broker.deps);
    const grant = await requestGrant(deps, caller('erin', ['developers']), { ...grantRequest(), ticket: 'INC-6' });
    expect(grant.state).toBe('APPROVED');
    expect(steps).not.toContain('count');
    // The explanation does not claim a count that was never taken.
    expect(await countIn(broker.deps, grant.id)).toBeUndefined();
  });

  it('vends an auto-approved grant right after its request without reading it again', async () => {
    let reads = 0;
    const deps = {
      ...broker.deps,
      store: recording(broker.deps.store, 'get', () => reads++),
      credentials: {
        issue: async (request: SessionRequest) => ({
          accessKeyId: 'ASIAAUTOAPPROVED0001',
          secretAccessKey: 'secret',
          sessionToken: 'token',
          expiration: new Date('2026-11-23T09:30:00.000Z'),
          assumedRoleArn: `arn:aws:sts::123456789012:assumed-role/prod-read/${request.sessionName}`,
        }),
      },
    };
    const erin = caller('erin', ['developers']);
    const grant = await requestGrant(deps, erin, { ...grantRequest(), ticket: 'INC-9' });
    const { grant: vended } = await vendCredentials(deps, erin, grant.id);
    expect(reads).toBe(0);
    expect(vended.state).toBe('ACTIVE');
    // Extended from the record this process signed: the chain holds, record included.
    const audit = await api.as('erin').get(`/grants/${grant.id}/audit`);
    expect(audit.body.chain.valid).toBe(true);
    expect(audit.body.events.map((e: { type: string }) => e.type)).toEqual([
      'grant.requested',
      'grant.auto-approved',
      'grant.activated',
    ]);
  });

  it('still waits for an SRE without a ticket', async () => {
    const created = await api.as('alice').post('/grants', grantRequest());
    expect(created.body.state).toBe('PENDING');
  });

  it('lets an SRE approve for a developer but not for another SRE (forbid on approve)', async () => {
    const forCarol = await api
      .as('carol')
      .post('/grants', grantRequest({ role: 'prod-admin', ticket: 'INC-5', durationSeconds: 900 }));
    const refused = await api.as('bob').post(`/grants/${forCarol.body.id}/approve`);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('POLICY_DENIED');
    expect(refused.body.error.message).toContain('prod-admin-approver-outside-requester-groups');
    expect((await api.as('dave').post(`/grants/${forCarol.body.id}/approve`)).status).toBe(200);
  });

  it('break-glass: on-call gets APPROVED at once with a short TTL, an alert, and a review only security closes', async () => {
    const created = await api
      .as('carol')
      .post('/grants', grantRequest({ role: 'prod-admin', breakGlass: true, durationSeconds: 3600 }));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ state: 'APPROVED', breakGlass: true, review: { required: true } });
    expect(Date.parse(created.body.expiresAt) - Date.parse(created.body.approvedAt)).toBeLessThanOrEqual(3600 * 1000);
    expect(broker.logLines.some((l) => l.includes('"alert":"break-glass"') && l.includes(created.body.id))).toBe(true);

    const listed = await api.as('dave').get('/grants?reviews');
    expect(listed.body.grants.map((g: { id: string }) => g.id)).toContain(created.body.id);
    expect((await api.as('bob').get('/grants?reviews')).status).toBe(403);

    expect((await api.as('carol').post(`/grants/${created.body.id}/review`, { comment: 'fine' })).status).toBe(403);
    const reviewed = await api.as('dave').post(`/grants/${created.body.id}/review`, { comment: 'incident INC-1, ok' });
    expect(reviewed.status).toBe(200);
    expect(reviewed.body.review).toMatchObject({ required: true, reviewedBy: 'dave', comment: 'incident INC-1, ok' });
    expect((await api.as('dave').post(`/grants/${created.body.id}/review`, { comment: 'again' })).status).toBe(409);
    const after = await api.as('dave').get('/grants?reviews');
    expect(after.body.grants.map((g: { id: string }) => g.id)).not.toContain(created.body.id);
    const audit = await api.as('dave').get(`/grants/${created.body.id}/audit`);
    expect(audit.body.events.map((e: { type: string }) => e.type)).toEqual([
      'grant.requested',
      'grant.auto-approved',
      'grant.reviewed',
    ]);
  });

  it('asks a third approval for a prod-admin task that may outlive the kill, and refuses it to break-glass', async () => {
    const chaining = { actions: ['sts:AssumeRole'], resources: ['arn:aws:iam::123456789012:role/deploy'] };
    const created = await api
      .as('alice')
      .post('/grants', grantRequest({ role: 'prod-admin', ticket: 'INC-5', durationSeconds: 900, scope: chaining }));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ mayOutliveKill: ['sts:AssumeRole'], requiredApprovals: 3 });
    for (const approver of ['bob', 'carol']) {
      expect((await api.as(approver).post(`/grants/${created.body.id}/approve`)).body.state).toBe('PENDING');
    }
    expect((await api.as('dave').post(`/grants/${created.body.id}/approve`)).body.state).toBe('APPROVED');

    const glass = await api
      .as('carol')
      .post(
        '/grants',
        grantRequest({ role: 'prod-admin', breakGlass: true, scope: { ...chaining, actions: ['*', 'sts:AssumeRole'] } })
      );
    expect(glass.status).toBe(403);
    expect(glass.body.error.message).toContain('denied by policy `no-break-glass-outliving-the-kill`');
  });

  it('refuses break-glass to someone not on call', async () => {
    const answer = await api.as('alice').post('/grants', grantRequest({ role: 'prod-admin', breakGlass: true }));
    expect(answer.status).toBe(403);
    expect(answer.body.error.message).toContain('break glass');
  });
});

describe('Break-glass taken by someone in security (Cedar, DynamoDB Local)', () => {
  let broker: Awaited<ReturnType<typeof brokerOnFreshTable>>;
  let api: Awaited<ReturnType<typeof startApi>>;

  beforeAll(async () => {
    const example = await exampleConfig();
    // dave is in security and, here, on call too; frank is a second security reviewer.
    const groups = new Map(example.groups);
    groups.set('oncall', ['carol', 'dave']);
    groups.set('security', ['dave', 'frank']);
    broker = await brokerOnFreshTable({
      config: { ...example, groups },
      clock: manualClock(new Date('2026-11-23T09:00:00.000Z')),
    });
    api = await startApi(broker.deps);
  });
  afterAll(async () => {
    await api.close();
    await broker.dispose();
  });

  it('refuses the requester their own review with 403 SELF_REVIEW; another security reviewer closes it', async () => {
    const created = await api
      .as('dave')
      .post('/grants', grantRequest({ role: 'prod-admin', breakGlass: true, durationSeconds: 900 }));
    expect(created.body).toMatchObject({ state: 'APPROVED', review: { required: true } });
    const own = await api.as('dave').post(`/grants/${created.body.id}/review`, { comment: 'all fine, trust me' });
    expect(own.status).toBe(403);
    expect(own.body.error.code).toBe('SELF_REVIEW');
    const reviewed = await api.as('frank').post(`/grants/${created.body.id}/review`, { comment: 'INC-3, fine' });
    expect(reviewed.body.review).toMatchObject({ reviewedBy: 'frank' });
  });
});
