import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrokerDeps } from '../../functions/app/deps.js';
import { recordActivity } from '../../functions/app/recordActivity.js';
import type { AnomalyRule } from '../../functions/domain/anomaly.js';
import { KILL_POLICY_NAME } from '../../functions/domain/sessionKill.js';
import { activityHandler } from '../../functions/handlers/activityHandler.js';
import { grantRequest } from '../helpers/apiServer.js';
import { asFunction } from '../helpers/awsCallRecorder.js';
import { assumedRoleCall, callerIdentityCall } from '../helpers/cloudTrailRecords.js';
import { type EmulatedBroker, emulatedBroker } from '../helpers/emulatedBroker.js';

/** The recorder as its Lambda function runs it: its AWS calls (an anomaly's kill) are checked against that role. */
const recordAsLambda = (deps: BrokerDeps, event: Parameters<typeof recordActivity>[1]) =>
  asFunction('recordActivity', () => recordActivity(deps, event));

const PROD_READ = 'arn:aws:iam::123456789012:role/jit/prod-read';

/**
 * Anomaly rules through the recorder use case, with recorded CloudTrail-shaped events: DynamoDB
 * Local for the table (activity, chain), the AWS emulator for IAM (the kill policy). The example
 * configuration's rules: prod-read revoked at 10 refused calls within 5 minutes; a late success
 * settles the end again.
 */
describe('anomaly rules', () => {
  let env: EmulatedBroker;
  beforeAll(async () => {
    env = await emulatedBroker();
  });
  afterAll(() => env.dispose());

  /** An ACTIVE grant on prod-read, vended once (so ending it needs a kill). */
  const vendedGrant = async (): Promise<string> => {
    const { body } = await env.api.as('alice').post('/grants', grantRequest());
    expect((await env.api.as('bob').post(`/grants/${body.id}/approve`)).status).toBe(200);
    expect((await env.api.as('alice').post(`/grants/${body.id}/credentials`)).status).toBe(200);
    return body.id;
  };
  const secondsFromNow = (s: number) => new Date(env.clock.now().getTime() + s * 1000).toISOString();
  /** What the recorder gets from CloudTrail: iam:ListRoles refused, as outside an s3:GetObject grant. */
  const refused = (grantId: string, eventId: string, at: string) =>
    assumedRoleCall({
      eventId,
      at,
      sourceIdentity: grantId,
      eventSource: 'iam.amazonaws.com',
      eventName: 'ListRoles',
      errorCode: 'AccessDenied',
    });
  const succeeded = (grantId: string, eventId: string, at: string) =>
    assumedRoleCall({ eventId, at, sourceIdentity: grantId });
  /** A vended grant its requester is done with, and the time its kill was recorded in force. */
  const doneAndKilled = async () => {
    const id = await vendedGrant();
    expect((await env.api.as('alice').post(`/grants/${id}/done`)).status).toBe(200);
    const applied: string = (await audit(id)).events.find(
      (e: { type: string }) => e.type === 'grant.sessions-killed'
    ).at;
    return { id, applied, sinceKill: (s: number) => new Date(Date.parse(applied) + s * 1000).toISOString() };
  };
  const audit = async (id: string) => (await env.api.as('dave').get(`/grants/${id}/audit`)).body;
  const alerts = (kind: string, grantId: string) =>
    env.logLines.filter((l) => l.includes(`"alert":"${kind}"`) && l.includes(grantId)).map((l) => JSON.parse(l));

  it('revokes a live grant at the threshold, with the evidence in its chain and the kill recorded', async () => {
    const id = await vendedGrant();
    for (let i = 0; i < 9; i++) {
      await recordAsLambda(env.deps, refused(id, `r-${i}`, secondsFromNow(i * 20)));
    }
    // Redelivered events and calls no policy can deny do not count.
    await recordAsLambda(env.deps, refused(id, 'r-0', secondsFromNow(0)));
    const whoAmI = callerIdentityCall({
      eventId: 'sts-1',
      at: secondsFromNow(30),
      sourceIdentity: id,
      errorCode: 'AccessDenied',
    });
    await recordAsLambda(env.deps, whoAmI);
    expect((await audit(id)).state).toBe('ACTIVE');

    await recordAsLambda(env.deps, refused(id, 'r-9', secondsFromNow(180)));
    const trail = await audit(id);
    expect(trail.state).toBe('REVOKED');
    expect(trail.chain.valid).toBe(true);
    const revoked = trail.events.find((e: { type: string }) => e.type === 'grant.revoked');
    expect(revoked).toMatchObject({
      actor: 'policy:anomaly-prod-probing',
      details: {
        reason: 'anomaly rule prod-probing: AWS refused 10 calls within 5m (threshold 10)',
        sessionKill: expect.stringMatching(/^until /),
        anomaly: {
          rule: 'prod-probing',
          trigger: 'refused-calls',
          response: 'revoke',
          refusedCalls: 10,
          threshold: 10,
          windowSeconds: 300,
          actions: ['iam:ListRoles'],
        },
      },
    });
    expect([...revoked.details.anomaly.eventIds].sort()).toEqual(Array.from({ length: 10 }, (_, i) => `r-${i}`));
    expect(trail.events.map((e: { type: string }) => e.type).slice(-2)).toEqual([
      'grant.revoked',
      'grant.sessions-killed',
    ]);
    expect(await env.killedOn('prod-read')).toContain(id);
    expect(trail.activity.refusedWhileLive).toBe(10);
    expect(alerts('anomaly', id)).toHaveLength(1);
    expect(alerts('anomaly', id)[0]).toMatchObject({ rule: 'prod-probing', response: 'revoked' });

    // The same event delivered again changes nothing.
    await recordAsLambda(env.deps, refused(id, 'r-9', secondsFromNow(180)));
    expect((await audit(id)).events).toHaveLength(trail.events.length);
    expect(alerts('anomaly', id)).toHaveLength(1);
  });

  it('shows when the kill took hold: its time, the first refusal, the propagation — in the audit and the report', async () => {
    const { id, applied, sinceKill } = await doneAndKilled();
    // As EventBridge delivers it to the recorder function.
    const deliver = (detail: ReturnType<typeof refused>) =>
      activityHandler(env.deps)(
        { source: 'aws.iam', 'detail-type': 'AWS API Call via CloudTrail', detail },
        {} as never
      );
    expect(await deliver(refused(id, 'k-1', sinceKill(2.5)))).toEqual({ outcome: 'recorded' });
    await deliver(refused(id, 'k-2', sinceKill(90)));
    const trail = await audit(id);
    expect(trail.activity.kill).toEqual({
      appliedAt: applied,
      firstRefusalAt: sinceKill(2.5),
      propagationSeconds: 2.5,
      verdict: 'held',
    });
    expect(trail.activity.afterEndOutcomes).toMatchObject({ refused: 1, succeeded: 0 });
    // The kill held: nothing alerts.
    expect(alerts('used-after-end', id)).toEqual([]);
    const report = (await env.api.as('dave').get('/reports/time-to-kill')).body;
    expect(report.rows.find((r: { grantId: string }) => r.grantId === id)).toMatchObject({
      kill: 'applied',
      secondsToFirstRefusal: 2.5,
      killHeld: 'held',
    });
    expect(report.summary.maxSecondsToFirstRefusal).toBeGreaterThanOrEqual(2.5);
  });

  it('answers a call that got through after the kill: says the kill did not hold, writes the kill again, once', async () => {
    const { id, applied, sinceKill } = await doneAndKilled();
    // Someone removes the kill policy from the role; the old keys work again.
    await env.deps.rolePolicies.delete(PROD_READ, KILL_POLICY_NAME);
    expect(await env.killedOn('prod-read')).toBeUndefined();

    await recordAsLambda(env.deps, succeeded(id, 'leak-1', sinceKill(120)));
    expect(alerts('used-after-end', id)).toHaveLength(1);
    expect(alerts('used-after-end', id)[0]).toMatchObject({
      eventId: 'leak-1',
      killAppliedAt: applied,
      lateSuccess: 'kill-did-not-hold',
    });
    expect(await env.killedOn('prod-read')).toContain(id);
    const trail = await audit(id);
    expect(trail.chain.valid).toBe(true);
    expect(trail.events.at(-1)).toMatchObject({
      type: 'grant.anomaly-detected',
      actor: 'policy:anomaly-used-after-end',
      fromState: 'ENDED',
      toState: 'ENDED',
      details: { anomaly: { rule: 'used-after-end', eventId: 'leak-1', lateSuccess: 'kill-did-not-hold' } },
    });
    expect(trail.activity.kill.verdict).toBe('did-not-hold');
    expect(alerts('anomaly', id)[0]).toMatchObject({ rule: 'used-after-end', response: 'end-settled' });

    // A second late success alerts again (it is another call), but the rule has acted.
    await recordAsLambda(env.deps, succeeded(id, 'leak-2', sinceKill(130)));
    expect(alerts('used-after-end', id)).toHaveLength(2);
    expect((await audit(id)).events).toHaveLength(trail.events.length);
    expect(alerts('anomaly', id)).toHaveLength(1);
  });

  describe('in flag-only mode', () => {
    const flagOnly: AnomalyRule = {
      id: 'watch',
      roles: ['prod-read'],
      trigger: 'refused-calls',
      threshold: 3,
      windowSeconds: 60,
      response: 'flag',
    };
    const flagging = (): BrokerDeps => ({
      ...env.deps,
      config: { ...env.deps.config, anomaly: { rules: [flagOnly] } },
    });

    it('records the evidence and alerts once, and leaves the grant running', async () => {
      const id = await vendedGrant();
      const deps = flagging();
      await recordAsLambda(deps, refused(id, 'f-0', secondsFromNow(0)));
      await recordAsLambda(deps, refused(id, 'f-1', secondsFromNow(30)));
      // Two deliveries of the call that reaches the threshold, at once: one flag.
      await Promise.all([
        recordAsLambda(deps, refused(id, 'f-2', secondsFromNow(60))),
        recordAsLambda(deps, refused(id, 'f-2', secondsFromNow(60))),
      ]);
      await recordAsLambda(deps, refused(id, 'f-3', secondsFromNow(61)));
      const trail = await audit(id);
      expect(trail.state).toBe('ACTIVE');
      expect(trail.chain.valid).toBe(true);
      const flags = trail.events.filter((e: { type: string }) => e.type === 'grant.anomaly-detected');
      expect(flags).toHaveLength(1);
      expect(flags[0]).toMatchObject({
        actor: 'policy:anomaly-watch',
        details: { anomaly: { rule: 'watch', response: 'flag', refusedCalls: 3, eventIds: ['f-0', 'f-1', 'f-2'] } },
      });
      expect(alerts('anomaly', id)).toHaveLength(1);
      expect(alerts('anomaly', id)[0]).toMatchObject({ response: 'flagged' });
      // The grant still vends.
      expect((await env.api.as('alice').post(`/grants/${id}/credentials`)).status).toBe(200);
    });

    it('does not fire on refused calls further apart than the window', async () => {
      const id = await vendedGrant();
      const deps = flagging();
      for (const [i, s] of [0, 40, 100.001].entries()) {
        await recordAsLambda(deps, refused(id, `w-${i}`, secondsFromNow(s)));
      }
      expect((await audit(id)).events.some((e: { type: string }) => e.type === 'grant.anomaly-detected')).toBe(false);
    });
  });
});
