import { describe, expect, it } from 'vitest';
import type { Caller } from '../../functions/domain/caller.js';
import { approve } from '../../functions/domain/decisions.js';
import { expire, finish, KILL_MARGIN_SECONDS, revoke } from '../../functions/domain/ending.js';
import type { Grant } from '../../functions/domain/grant.js';
import { assertVendable, planVend, recordVend, sessionNameFor } from '../../functions/domain/vending.js';
import { at, openedGrant, ROLE, verifySigned } from '../helpers/signedChains.js';

const alice: Caller = { userId: 'alice', groups: [] };
const bob: Caller = { userId: 'bob', groups: ['sre'] };
const dave: Caller = { userId: 'dave', groups: ['security'] };
const SECURITY = ['group:security'];

/** A grant approved at T0+60 s for `durationSeconds`. */
const approved = (durationSeconds: number, requester = 'alice'): Grant =>
  approve(openedGrant(durationSeconds, requester).grant, bob, at(60)).grant;

const vendAt = (grant: Grant, seconds: number, durationSeconds: number): Grant =>
  recordVend(
    grant,
    alice,
    {
      accessKeyId: `ASIA${seconds}`,
      expiration: at(seconds + durationSeconds),
      assumedRoleArn: 'arn:aws:sts::123456789012:assumed-role/prod-read/x',
      sessionName: 'x',
      durationSeconds,
    },
    at(seconds)
  ).grant;

describe('planVend', () => {
  it.each([
    ['a long grant gets the one-hour role-chaining maximum', 4 * 3600, 120, 3600],
    ['the remaining time when it is between 15 minutes and an hour', 3600, 60 + 1800, 1800],
    ['never less than the 900 s STS minimum, even with 5 minutes left', 3600, 60 + 3300, 900],
  ])('gives %s', (_what, durationSeconds, vendAtSecond, expected) => {
    expect(planVend(approved(durationSeconds), alice, at(vendAtSecond)).durationSeconds).toBe(expected);
  });

  it('names the session after the requester and the whole grant id, within STS limits', () => {
    const long = approved(3600, `${'a'.repeat(60)}@example.com`);
    const plan = planVend(long, { userId: long.requester, groups: [] }, at(120));
    expect(plan.sessionName).toMatch(/^[\w+=,.@-]{2,64}$/);
    expect(plan.sessionName.endsWith(`.${long.id}`)).toBe(true);
    expect(plan.sourceIdentity).toBe(long.id);
    expect(sessionNameFor(approved(3600))).toBe(`alice.${long.id}`);
  });

  it('carries grant, requester and role in session tags, with characters STS accepts', () => {
    const grant = approved(3600, 'o,brien');
    const plan = planVend(grant, { userId: 'o,brien', groups: [] }, at(120));
    expect(plan.tags).toEqual({ 'jit-grant-id': grant.id, 'jit-requester': 'o_brien', 'jit-role': 'prod-read' });
  });

  it('vends a wide grant stored before session policies carried guards with its guards added', () => {
    const stored =
      '{"Version":"2012-10-17","Statement":[{"Sid":"JitTask","Effect":"Allow","Action":["*"],"Resource":["*"]}]}';
    const grant = { ...approved(3600), scope: { actions: ['*'], resources: ['*'] }, sessionPolicy: stored };
    const sids = JSON.parse(planVend(grant, alice, at(120)).sessionPolicy).Statement.map((s: { Sid: string }) => s.Sid);
    expect(sids).toEqual(['JitTask', 'JitGuard', 'JitGuardKill', 'JitGuardTag']);
  });

  it.each([
    ['someone other than the requester', approved(3600), bob, at(120), 'NOT_REQUESTER'],
    ['a grant past its expiry', approved(3600), alice, at(60 + 3600), 'GRANT_EXPIRED'],
    [
      'a grant that has ended',
      finish(vendAt(approved(3600), 120, 900), alice, at(200)).grant,
      alice,
      at(300),
      'GRANT_ENDED',
    ],
  ])('refuses %s, and so does the check a vend is recorded under', (_what, grant, caller, when, code) => {
    expect(() => planVend(grant, caller, when)).toThrow(expect.objectContaining({ code }));
    expect(() => assertVendable(grant, caller, when)).toThrow(expect.objectContaining({ code }));
  });

  it('checks a still-pending grant as not yet approved', () => {
    expect(() => assertVendable(openedGrant(3600).grant, alice, at(120))).toThrow(
      expect.objectContaining({ code: 'GRANT_NOT_APPROVED' })
    );
  });

  it('answers the whole seconds the grant has left, which the plan clamps', () => {
    expect(assertVendable(approved(3600), alice, at(60 + 3300))).toBe(300);
    expect(planVend(approved(3600), alice, at(60 + 3300)).durationSeconds).toBe(900);
  });
});

describe('recordVend', () => {
  it('activates the grant on the first vend and keeps it ACTIVE after', () => {
    const first = vendAt(approved(3600), 120, 900);
    expect(first).toMatchObject({ state: 'ACTIVE', vendCount: 1, credentialsValidUntil: at(1020).toISOString() });
    const second = vendAt(first, 200, 900);
    expect(second).toMatchObject({ state: 'ACTIVE', vendCount: 2, credentialsValidUntil: at(1100).toISOString() });
  });

  it('records the access key id and expiry in the audit event, and no secret', () => {
    const grant = approved(3600);
    const { event } = recordVend(
      grant,
      alice,
      { accessKeyId: 'ASIAKEY', expiration: at(1020), assumedRoleArn: 'arn', sessionName: 's', durationSeconds: 900 },
      at(120)
    );
    expect(event).toMatchObject({ type: 'grant.activated', details: { accessKeyId: 'ASIAKEY' } });
    expect(JSON.stringify(event)).not.toMatch(/secret/i);
  });
});

describe('ending access', () => {
  it('asks for a session kill when a vended credential outlives the end', () => {
    const active = vendAt(approved(3600), 120, 3600);
    const { grant, kill, event } = finish(active, alice, at(600));
    expect(grant).toMatchObject({ state: 'ENDED', endedBy: 'alice', endedAt: at(600).toISOString() });
    expect(kill).toEqual({
      grantId: grant.id,
      roleArn: ROLE.roleArn,
      sourceIdentity: grant.id,
      endedAt: at(600).toISOString(),
      until: at(120 + 3600 + KILL_MARGIN_SECONDS).toISOString(),
    });
    expect(event.type).toBe('grant.ended');
  });

  it('needs no kill when every credential has already expired', () => {
    const active = vendAt(approved(3600), 120, 900);
    expect(finish(active, alice, at(2000)).kill).toBeUndefined();
  });

  it('lets only security revoke, with the reason recorded', () => {
    const active = vendAt(approved(3600), 120, 900);
    expect(() => revoke(active, bob, SECURITY, at(300), 'x')).toThrow(
      expect.objectContaining({ code: 'NOT_SECURITY' })
    );
    const { grant, event } = revoke(active, dave, SECURITY, at(300), 'leaked in a chat');
    expect(grant).toMatchObject({ state: 'REVOKED', endReason: 'leaked in a chat', endedBy: 'dave' });
    expect(event.details).toMatchObject({ reason: 'leaked in a chat' });
  });

  it('revokes an approved grant that was never used, with nothing to kill', () => {
    const { grant, kill } = revoke(approved(3600), dave, SECURITY, at(300), 'not needed');
    expect(grant.state).toBe('REVOKED');
    expect(kill).toBeUndefined();
  });

  it('expires only when due, and then as the system', () => {
    const active = vendAt(approved(3600), 120, 900);
    expect(() => expire(active, at(60 + 3599))).toThrow(expect.objectContaining({ code: 'GRANT_NOT_DUE' }));
    expect(expire(active, at(60 + 3600)).grant).toMatchObject({ state: 'EXPIRED', endedBy: 'system' });
  });

  it('lets only the requester say done, and never twice', () => {
    const active = vendAt(approved(3600), 120, 900);
    expect(() => finish(active, bob, at(300))).toThrow(expect.objectContaining({ code: 'NOT_REQUESTER' }));
    const ended = finish(active, alice, at(300)).grant;
    expect(() => finish(ended, alice, at(301))).toThrow(expect.objectContaining({ code: 'ILLEGAL_TRANSITION' }));
  });

  it('keeps the audit chain whole through vends and the end', async () => {
    const opened = openedGrant();
    const steps = [opened];
    steps.push(approve(steps.at(-1)!.grant, bob, at(60)));
    steps.push(
      recordVend(
        steps.at(-1)!.grant,
        alice,
        { accessKeyId: 'A', expiration: at(999), assumedRoleArn: 'a', sessionName: 's', durationSeconds: 900 },
        at(99)
      )
    );
    steps.push(finish(steps.at(-1)!.grant, alice, at(300)));
    expect(await verifySigned(steps)).toMatchObject({ valid: true, length: 4 });
  });
});
