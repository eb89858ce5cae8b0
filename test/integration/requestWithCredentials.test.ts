import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceUnavailableError } from '../../functions/domain/errors.js';
import { grantRequest } from '../helpers/apiServer.js';
import { type CredentialProcessOutput, type EmulatedBroker, emulatedBroker } from '../helpers/emulatedBroker.js';

/** A break-glass request: the example policies approve it at once, at any hour, for carol (on call). */
const breakGlass = () => grantRequest({ role: 'prod-admin', breakGlass: true, durationSeconds: 3600 });

const faults = { throttleSts: false, stsCalls: 0 };

describe('POST /grants?credentials=true: a request approved at once answers with its first credentials', () => {
  let env: EmulatedBroker;
  beforeAll(async () => {
    env = await emulatedBroker({
      wrap: (real) => ({
        ...real,
        credentials: {
          issue: async (request) => {
            faults.stsCalls++;
            if (faults.throttleSts)
              throw new ServiceUnavailableError('STS_THROTTLED', 'STS is throttling; try again in a few seconds');
            return real.credentials.issue(request);
          },
        },
      }),
    });
  });
  afterAll(() => env.dispose());

  const request = (user: string, body: unknown, query = '?credentials=true') =>
    env.api.as(user).post(`/grants${query}`, body);

  it('answers the grant ACTIVE with credential_process credentials the emulator knows as its session, no-store', async () => {
    const answer = await request('carol', breakGlass());
    expect(answer.status).toBe(201);
    expect(answer.headers.get('cache-control')).toContain('no-store');
    const { credentials, ...grant } = answer.body as { id: string; credentials: CredentialProcessOutput };
    expect(grant).toMatchObject({ state: 'ACTIVE', vendCount: 1, breakGlass: true, requester: 'carol' });
    expect(Object.keys(credentials).sort()).toEqual([
      'AccessKeyId',
      'Expiration',
      'SecretAccessKey',
      'SessionToken',
      'Version',
    ]);
    const identity = await env.callerIdentity(credentials);
    expect(identity.Arn).toBe(`arn:aws:sts::123456789012:assumed-role/prod-admin/carol.${grant.id}`);
    // The vend is in the grant's chain before the credentials were answered, the secret is not.
    const audit = (await env.api.as('carol').get(`/grants/${grant.id}/audit`)).body;
    expect(audit.chain.valid).toBe(true);
    expect(audit.events.map((e: { type: string }) => e.type)).toEqual([
      'grant.requested',
      'grant.auto-approved',
      'grant.activated',
    ]);
    expect(audit.events[2].details).toMatchObject({ accessKeyId: credentials.AccessKeyId });
    expect(JSON.stringify(audit)).not.toContain(credentials.SecretAccessKey);
    // The expiry is scheduled as for any approval, and the break-glass alert raised.
    expect(await env.schedule(grant.id)).toBeDefined();
    expect(env.logLines.some((l) => l.includes('"alert":"break-glass"') && l.includes(grant.id))).toBe(true);
  });

  it('answers a pending request as without the flag: no credentials, and no AssumeRole', async () => {
    const before = faults.stsCalls;
    const answer = await request('alice', grantRequest());
    expect(answer.status).toBe(201);
    expect(answer.body.state).toBe('PENDING');
    expect(answer.body).not.toHaveProperty('credentials');
    expect(answer.body).not.toHaveProperty('credentialsError');
    expect(faults.stsCalls).toBe(before);
  });

  it('answers a denied request 403 as without the flag, with no AssumeRole', async () => {
    const before = faults.stsCalls;
    const answer = await request('alice', breakGlass());
    expect(answer.status).toBe(403);
    expect(answer.body.error.code).toBe('POLICY_DENIED');
    expect(faults.stsCalls).toBe(before);
  });

  it('keeps the approved grant when the AssumeRole fails, says why, and the vend route then vends', async () => {
    faults.throttleSts = true;
    const answer = await request('carol', breakGlass()).finally(() => {
      faults.throttleSts = false;
    });
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ state: 'APPROVED', vendCount: 0 });
    expect(answer.body).not.toHaveProperty('credentials');
    expect(answer.body.credentialsError).toEqual({
      code: 'STS_THROTTLED',
      message: 'STS is throttling; try again in a few seconds',
    });
    const vended = await env.api.as('carol').post(`/grants/${answer.body.id}/credentials`);
    expect(vended.status).toBe(200);
    expect((await env.api.as('carol').get(`/grants/${answer.body.id}`)).body).toMatchObject({
      state: 'ACTIVE',
      vendCount: 1,
    });
  });

  it.each([
    ['?credentials=false', 'INVALID_REQUEST', "use '?credentials=true'"],
    ['?credentials', 'INVALID_REQUEST', "use '?credentials=true'"],
    ['?credentials=1', 'INVALID_REQUEST', "use '?credentials=true'"],
    ['?creds=true', 'UNKNOWN_FIELD', "unknown field 'creds'"],
  ])('refuses %s with 400 %s, stores nothing and assumes nothing', async (query, code, says) => {
    const items = await env.itemCount();
    const before = faults.stsCalls;
    const answer = await request('carol', breakGlass(), query);
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe(code);
    expect(answer.body.error.message).toContain(says);
    expect(await env.itemCount()).toBe(items);
    expect(faults.stsCalls).toBe(before);
  });

  it('answers as before without the flag: the grant, no credentials, and no AssumeRole', async () => {
    const before = faults.stsCalls;
    const answer = await request('carol', breakGlass(), '');
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ state: 'APPROVED', vendCount: 0 });
    expect(answer.body).not.toHaveProperty('credentials');
    expect(faults.stsCalls).toBe(before);
  });
});
