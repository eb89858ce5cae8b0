import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finish } from '../../functions/domain/ending.js';
import { ConflictError, ServiceUnavailableError } from '../../functions/domain/errors.js';
import { KILL_POLICY_NAME } from '../../functions/domain/sessionKill.js';
import { grantRequest } from '../helpers/apiServer.js';
import { type EmulatedBroker, emulatedBroker } from '../helpers/emulatedBroker.js';

const PROD_READ = 'arn:aws:iam::123456789012:role/jit/prod-read';

/** Faults switched on by the test, injected in front of the real (emulated) AWS adapters. */
const faults = {
  schedule: false,
  putPolicy: false,
  throttleSts: false,
  endBeforeStsAnswers: undefined as (() => Promise<void>) | undefined,
};

describe('Faults between the broker and AWS', () => {
  let env: EmulatedBroker;
  beforeAll(async () => {
    env = await emulatedBroker({
      wrap: (real) => ({
        credentials: {
          issue: async (request) => {
            if (faults.throttleSts)
              throw new ServiceUnavailableError('STS_THROTTLED', 'STS is throttling; try again in a few seconds');
            const issued = await real.credentials.issue(request);
            await faults.endBeforeStsAnswers?.();
            return issued;
          },
        },
        rolePolicies: {
          list: (arn) => real.rolePolicies.list(arn),
          delete: (arn, name) => real.rolePolicies.delete(arn, name),
          put: async (arn, policy) => {
            if (faults.putPolicy) throw new ConflictError('INLINE_POLICY_BUDGET', 'LimitExceeded from IAM');
            return real.rolePolicies.put(arn, policy);
          },
        },
        expiry: {
          cancel: (id) => real.expiry.cancel(id),
          schedule: async (id, at) => {
            if (faults.schedule) throw new ServiceUnavailableError('SCHEDULER_UNAVAILABLE', 'Scheduler is down');
            return real.expiry.schedule(id, at);
          },
        },
      }),
    });
  });
  afterAll(() => env.dispose());

  const requestAndApprove = async (durationSeconds = 1800): Promise<string> => {
    const { body } = await env.api.as('alice').post('/grants', grantRequest({ durationSeconds }));
    expect((await env.api.as('bob').post(`/grants/${body.id}/approve`)).body.state).toBe('APPROVED');
    return body.id;
  };
  const alerts = (kind: string) => env.logLines.filter((l) => l.includes(`"alert":"${kind}"`));
  const killList = async (): Promise<string[]> => {
    const policy = (await env.deps.rolePolicies.list(PROD_READ)).find((p) => p.name === KILL_POLICY_NAME);
    return policy ? JSON.parse(policy.document).Statement[0].Condition.StringEquals['aws:SourceIdentity'] : [];
  };

  it('keeps an approval whose schedule could not be created, alerts, and lets the sweeper expire it', async () => {
    faults.schedule = true;
    const id = await requestAndApprove(900);
    faults.schedule = false;
    expect(await env.schedule(id)).toBeUndefined();
    expect(alerts('schedule-failed').some((l) => l.includes(id))).toBe(true);
    env.clock.advance(901);
    expect((await env.sweep()).accessExpired).toContain(id);
  });

  it('answers 503 when STS throttles, and records no vend', async () => {
    const id = await requestAndApprove();
    faults.throttleSts = true;
    const answer = await env.api.as('alice').post(`/grants/${id}/credentials`);
    faults.throttleSts = false;
    expect(answer.status).toBe(503);
    expect(answer.body.error.code).toBe('STS_THROTTLED');
    expect((await env.api.as('alice').get(`/grants/${id}`)).body).toMatchObject({ state: 'APPROVED', vendCount: 0 });
  });

  it('drops credentials unseen when the grant ends while STS is answering', async () => {
    const id = await requestAndApprove();
    await env.api.as('alice').post(`/grants/${id}/credentials`); // ACTIVE
    faults.endBeforeStsAnswers = async () => {
      await env.api.as('alice').post(`/grants/${id}/done`);
    };
    const answer = await env.api.as('alice').post(`/grants/${id}/credentials`);
    faults.endBeforeStsAnswers = undefined;
    expect(answer.status).toBe(409);
    expect(answer.body.error.code).toBe('GRANT_ENDED');
    expect(JSON.stringify(answer.body)).not.toContain('SecretAccessKey');
    expect((await env.api.as('alice').get(`/grants/${id}`)).body).toMatchObject({ state: 'ENDED', vendCount: 1 });
  });

  it('records the end even when IAM refuses the kill, alerts, and the sweeper applies it later', async () => {
    const id = await requestAndApprove();
    await env.api.as('alice').post(`/grants/${id}/credentials`);
    faults.putPolicy = true;
    const done = await env.api.as('alice').post(`/grants/${id}/done`);
    faults.putPolicy = false;
    expect(done.body.state).toBe('ENDED');
    expect(alerts('kill-failed').some((l) => l.includes(id))).toBe(true);
    expect(await killList()).not.toContain(id);
    await env.sweep();
    expect(await killList()).toContain(id);
  });

  it('recovers from a crash between the end and its side effects', async () => {
    const id = await requestAndApprove();
    await env.api.as('alice').post(`/grants/${id}/credentials`);
    // The process dies right after the terminal transition (with its kill record) is written.
    const grant = (await env.deps.store.get(id))!;
    await env.deps.store.transition(grant, finish(grant, { userId: 'alice', groups: [] }, env.clock.now()));
    expect(await killList()).not.toContain(id);
    expect(await env.schedule(id)).toBeDefined();
    await env.sweep();
    expect(await killList()).toContain(id);
    // The orphaned schedule fires later and only settles what is already settled.
    expect(await env.fireExpiry(id)).toEqual({ grantId: id, outcome: 'already-ended' });
    expect(await env.schedule(id)).toBeUndefined();
  });
});
