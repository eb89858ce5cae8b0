import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grantRequest, startApi } from '../helpers/apiServer.js';
import { brokerOnFreshTable } from '../helpers/fixtures.js';

describe('Grant API (handlers through middy, DynamoDB Local)', () => {
  let broker: Awaited<ReturnType<typeof brokerOnFreshTable>>;
  let api: Awaited<ReturnType<typeof startApi>>;

  beforeAll(async () => {
    broker = await brokerOnFreshTable();
    api = await startApi(broker.deps);
  });
  afterAll(async () => {
    await api.close();
    await broker.dispose();
  });

  const itemCount = () => broker.itemCount();

  it('lets alice request, bob approve, and alice see APPROVED with an audit of both steps', async () => {
    const created = await api.as('alice').post('/grants', grantRequest());
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/grants/${created.body.id}`);
    expect(created.body).toMatchObject({ state: 'PENDING', requester: 'alice', roleId: 'prod-read', version: 1 });

    const inbox = await api.as('bob').get('/grants?inbox');
    expect(inbox.body.grants.map((g: { id: string }) => g.id)).toContain(created.body.id);
    const alicesInbox = await api.as('alice').get('/grants?inbox');
    expect(alicesInbox.body.grants.map((g: { id: string }) => g.id)).not.toContain(created.body.id);

    const approved = await api.as('bob').post(`/grants/${created.body.id}/approve`, { comment: 'looks right' });
    expect(approved.status).toBe(200);
    expect(approved.body.state).toBe('APPROVED');

    const seen = await api.as('alice').get(`/grants/${created.body.id}`);
    expect(seen.body).toMatchObject({ state: 'APPROVED', approvals: [{ by: 'bob', comment: 'looks right' }] });
    const expiresIn = Date.parse(seen.body.expiresAt) - Date.parse(seen.body.approvedAt);
    expect(expiresIn).toBe(1800 * 1000);

    const audit = await api.as('alice').get(`/grants/${created.body.id}/audit`);
    expect(audit.body.chain).toMatchObject({ valid: true, length: 2 });
    expect(audit.body.events.map((e: { type: string; actor: string }) => [e.type, e.actor])).toEqual([
      ['grant.requested', 'alice'],
      ['grant.approved', 'bob'],
    ]);
    expect(audit.body.events.every((e: { at: string }) => !Number.isNaN(Date.parse(e.at)))).toBe(true);
  });

  it('marks a grant whose task names sts:AssumeRole as one that may outlive the kill, wherever it is shown', async () => {
    const chaining = { actions: ['sts:AssumeRole'], resources: ['arn:aws:iam::123456789012:role/deploy'] };
    const created = await api
      .as('alice')
      .post('/grants', grantRequest({ role: 'prod-admin', ticket: 'INC-3', durationSeconds: 900, scope: chaining }));
    expect(created.status).toBe(201);
    expect(created.body.mayOutliveKill).toEqual(['sts:AssumeRole']);
    // The approver's inbox, the grant itself (to security too), and the audit's first event say so.
    const inbox = await api.as('bob').get('/grants?inbox');
    const listed = inbox.body.grants.find((g: { id: string }) => g.id === created.body.id);
    expect(listed.mayOutliveKill).toEqual(['sts:AssumeRole']);
    expect((await api.as('dave').get(`/grants/${created.body.id}`)).body.mayOutliveKill).toEqual(['sts:AssumeRole']);
    const audit = await api.as('alice').get(`/grants/${created.body.id}/audit`);
    expect(audit.body.events[0].details.mayOutliveKill).toEqual(['sts:AssumeRole']);

    // The same role through a wildcard is not flagged: its session policy carries the guards instead.
    const wildcard = await api.as('alice').post(
      '/grants',
      grantRequest({
        role: 'prod-admin',
        ticket: 'INC-3',
        durationSeconds: 900,
        scope: { actions: ['*'], resources: ['*'] },
      })
    );
    expect(wildcard.status).toBe(201);
    expect(wildcard.body).not.toHaveProperty('mayOutliveKill');
    const sids = JSON.parse(wildcard.body.sessionPolicy).Statement.map((s: { Sid: string }) => s.Sid);
    expect(sids).toEqual(['JitTask', 'JitGuard', 'JitGuardKill', 'JitGuardTag']);
  });

  it('refuses alice approving her own grant with 403 and leaves it PENDING', async () => {
    const { body } = await api.as('alice').post('/grants', grantRequest());
    const answer = await api.as('alice').post(`/grants/${body.id}/approve`);
    expect(answer.status).toBe(403);
    expect(answer.body.error.code).toBe('SELF_APPROVAL');
    expect((await api.as('alice').get(`/grants/${body.id}`)).body.state).toBe('PENDING');
  });

  it('refuses approvers the catalog does not name', async () => {
    const { body } = await api.as('alice').post('/grants', grantRequest());
    const answer = await api.as('erin').post(`/grants/${body.id}/approve`);
    // erin cannot even see the grant: she is neither requester, approver nor security.
    expect(answer.status).toBe(404);
    expect(answer.body.error.code).toBe('GRANT_NOT_FOUND');
  });

  it.each([
    ['malformed JSON', '{"role": "prod-read",', {}, 400, 'MALFORMED_JSON'],
    ['an unknown field', grantRequest({ admin: true }), {}, 400, 'UNKNOWN_FIELD'],
    ['an unknown role', grantRequest({ role: 'root-everything' }), {}, 400, 'UNKNOWN_ROLE'],
    ['no reason', grantRequest({ reason: undefined }), {}, 400, 'INVALID_REQUEST'],
    [
      'a duration above the role maximum',
      grantRequest({ durationSeconds: 5 * 3600 }),
      {},
      400,
      'DURATION_OUT_OF_RANGE',
    ],
    ['a duration below 15 minutes', grantRequest({ durationSeconds: 60 }), {}, 400, 'DURATION_OUT_OF_RANGE'],
    ['a fractional duration', grantRequest({ durationSeconds: 90.5 }), {}, 400, 'INVALID_REQUEST'],
    ['a requester smuggled in the body', grantRequest({ requester: 'bob' }), {}, 400, 'UNKNOWN_FIELD'],
    ['a text/plain body', grantRequest(), { 'content-type': 'text/plain' }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['an oversize body', grantRequest({ reason: 'x'.repeat(20_000) }), {}, 413, 'BODY_TOO_LARGE'],
  ])('rejects %s with %i %s and stores nothing', async (_what, body, headers, status, code) => {
    const before = await itemCount();
    const answer = await api.as('alice').post('/grants', body, headers);
    expect(answer.status).toBe(status);
    expect(answer.body.error.code).toBe(code);
    expect(typeof answer.body.error.message).toBe('string');
    expect(await itemCount()).toBe(before);
  });

  it('requires an identity and never takes it from the body', async () => {
    const answer = await api.anonymous.get('/grants');
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('NOT_AUTHENTICATED');
  });

  it('answers unknown routes, wrong methods and bad ids clearly', async () => {
    expect((await api.as('alice').get('/nope')).status).toBe(404);
    const wrongMethod = await api.as('alice').post('/grants/g-01m843kfrptg3pr4e1gg4019s1');
    expect(wrongMethod.status).toBe(405);
    const badId = await api.as('alice').get('/grants/..%2F..%2Fetc');
    expect(badId.status).toBe(404);
    expect(badId.body.error.code).toBe('GRANT_NOT_FOUND');
  });

  it('resolves 20 concurrent approvals into one APPROVED and a consistent audit', async () => {
    const { body } = await api.as('alice').post('/grants', grantRequest());
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => api.as(i % 2 === 0 ? 'bob' : 'carol').post(`/grants/${body.id}/approve`))
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    for (const loser of answers.filter((a) => a.status === 409)) {
      expect(['NOTHING_TO_REVIEW', 'ALREADY_APPROVED', 'CONCURRENT_UPDATE']).toContain(loser.body.error.code);
    }
    const audit = await api.as('alice').get(`/grants/${body.id}/audit`);
    expect(audit.body.state).toBe('APPROVED');
    expect(audit.body.chain).toMatchObject({ valid: true, length: 2 });
  });

  it.each([
    ['approve', 'deny'],
    ['deny', 'cancel'],
    ['approve', 'deny', 'cancel'],
  ])('settles concurrent %s / %s / %s on a pending grant into one decision', async (...actions) => {
    const actors: Record<string, string> = { approve: 'bob', deny: 'carol', cancel: 'alice' };
    for (let round = 0; round < 3; round++) {
      const { body } = await api.as('alice').post('/grants', grantRequest());
      const answers = await Promise.all(
        actions.map((action) => api.as(actors[action]!).post(`/grants/${body.id}/${action}`, { comment: 'race' }))
      );
      const audit = await api.as('alice').get(`/grants/${body.id}/audit`);
      const decisions = audit.body.events.slice(1).map((e: { type: string }) => e.type);
      // The first decision wins; a cancel after an approval is a new, legal decision of its own.
      expect(['grant.approved', 'grant.denied', 'grant.cancelled']).toContain(decisions[0]);
      if (decisions[0] !== 'grant.approved') expect(decisions).toHaveLength(1);
      expect(answers.filter((a) => a.status === 200)).toHaveLength(decisions.length);
      expect(answers.filter((a) => a.status === 409)).toHaveLength(actions.length - decisions.length);
      expect(audit.body.chain).toMatchObject({ valid: true, length: 1 + decisions.length });
    }
  });

  it('needs a comment to deny, and a denied grant cannot be approved', async () => {
    const { body } = await api.as('alice').post('/grants', grantRequest());
    expect((await api.as('bob').post(`/grants/${body.id}/deny`)).status).toBe(400);
    const denied = await api.as('bob').post(`/grants/${body.id}/deny`, { comment: 'use the read replica' });
    expect(denied.body.state).toBe('DENIED');
    const late = await api.as('carol').post(`/grants/${body.id}/approve`);
    expect(late.status).toBe(409);
    expect(late.body.error.message).toContain('DENIED');
  });

  it('lists my grants newest first, in pages', async () => {
    const mine = broker.deps.ids.grantId(); // unused id: only to prove ids from the generator are valid paths
    expect((await api.as('dave').get(`/grants/${mine}`)).status).toBe(404);
    for (let i = 0; i < 3; i++) await api.as('erin').post('/grants', grantRequest({ role: 'staging-deploy' }));
    const first = await api.as('erin').get('/grants?limit=2');
    expect(first.body.grants).toHaveLength(2);
    expect(first.body.nextCursor).toBeTypeOf('string');
    const second = await api.as('erin').get(`/grants?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.grants.length).toBeGreaterThanOrEqual(1);
    const ids = [...first.body.grants, ...second.body.grants].map((g: { id: string }) => g.id);
    expect(new Set(ids).size).toBe(3);
    expect([...ids].sort().reverse()).toEqual(ids);
    const stolen = await api.as('alice').get(`/grants?cursor=${first.body.nextCursor}`);
    expect(stolen.status).toBe(400);
    expect(stolen.body.error.code).toBe('INVALID_CURSOR');
  });

  it('lets security read any grant and its audit', async () => {
    const { body } = await api.as('alice').post('/grants', grantRequest());
    expect((await api.as('dave').get(`/grants/${body.id}/audit`)).status).toBe(200);
  });

  it('answers 503 with what to install when there is no STS to vend from', async () => {
    const { body } = await api.as('alice').post('/grants', grantRequest());
    await api.as('bob').post(`/grants/${body.id}/approve`);
    const answer = await api.as('alice').post(`/grants/${body.id}/credentials`);
    expect(answer.status).toBe(503);
    expect(answer.body.error.code).toBe('VENDING_UNAVAILABLE');
    expect((await api.as('alice').get(`/grants/${body.id}`)).body.state).toBe('APPROVED');
  });

  describe('hostile input (issue 14), each refused with 400 and nothing stored', () => {
    /** Posts `body` (raw JSON text) as alice and checks the answer and the table. */
    const refused = async (body: string, code: string) => {
      const before = await itemCount();
      const answer = await api.as('alice').post('/grants', body);
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe(code);
      expect(await itemCount()).toBe(before);
      return answer.body.error.message as string;
    };
    const asJson = (overrides: Record<string, unknown>) => JSON.stringify(grantRequest(overrides));

    it('an unpaired surrogate in the reason or in a resource ARN (was a 500 from Cedar)', async () => {
      await refused(asJson({ reason: 'debug the nightly \ud800 export' }), 'INVALID_TEXT');
      const resources = ['arn:aws:s3:::example-bucket/\udc00*'];
      await refused(asJson({ scope: { actions: ['s3:GetObject'], resources } }), 'INVALID_TEXT');
    });

    it('__proto__ inside scope.conditions or an operator (was dropped, widening the grant)', async () => {
      const scope = '"scope":{"actions":["s3:GetObject"],"resources":["arn:aws:s3:::example-bucket/*"]';
      const rest = '"role":"prod-read","durationSeconds":1800,"reason":"debug the nightly export"';
      const message = await refused(
        `{${rest},${scope},"conditions":{"__proto__":{"aws:RequestedRegion":"us-east-1"}}}}`,
        'RESERVED_KEY'
      );
      expect(message).toContain("scope.conditions: '__proto__'");
      await refused(
        `{${rest},${scope},"conditions":{"StringEquals":{"__proto__":"x","aws:RequestedRegion":"us-east-1"}}}}`,
        'RESERVED_KEY'
      );
    });

    it('a duplicate key (was: the last one wins)', async () => {
      const body = asJson({}).replace('"durationSeconds":1800', '"durationSeconds":900,"durationSeconds":1800');
      expect(await refused(body, 'DUPLICATE_KEY')).toContain("'durationSeconds' appears more than once");
    });

    it('condition values IAM cannot read (were stored)', async () => {
      const scope = (conditions: unknown) => ({
        actions: ['s3:GetObject'],
        resources: ['arn:aws:s3:::example-bucket/*'],
        conditions,
      });
      await refused(asJson({ scope: scope({ IpAddress: { 'aws:SourceIp': 'not-an-ip' } }) }), 'INVALID_CONDITION');
      await refused(asJson({ scope: scope({ Bool: { 'aws:SecureTransport': 'maybe' } }) }), 'INVALID_CONDITION');
      await refused(
        asJson({ scope: scope({ DateLessThan: { 'aws:CurrentTime': 'yesterday' } }) }),
        'INVALID_CONDITION'
      );
    });

    it('a reason of twelve zero-width spaces, and terminal escapes in free text', async () => {
      await refused(asJson({ reason: '\u200b'.repeat(12) }), 'INVALID_REQUEST');
      await refused(asJson({ reason: '\u001b[2J\u001b[HAPPROVED by security' }), 'INVALID_TEXT');
    });

    it('a forged page cursor with empty key values (was a 500 from DynamoDB)', async () => {
      const forged = Buffer.from(JSON.stringify({ GSI1PK: 'USER#alice', GSI1SK: '', PK: '', SK: '' })).toString(
        'base64url'
      );
      const answer = await api.as('alice').get(`/grants?cursor=${forged}`);
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe('INVALID_CURSOR');
    });

    it('a 10,000-character report kind is echoed at most 80 characters long', async () => {
      const answer = await api.as('dave').get(`/reports/${'k'.repeat(10_000)}`);
      expect(answer.status).toBe(400);
      expect(answer.body.error.message.length).toBeLessThan(200);
    });
  });

  it('answers health without authentication', async () => {
    const health = await api.anonymous.get('/health');
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ok', catalogVersion: '2026-11-23.1' });
  });
});
