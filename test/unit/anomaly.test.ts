import { describe, expect, it } from 'vitest';
import { activityOf, type RefusedCall } from '../../functions/domain/activity.js';
import {
  type AnomalyConfig,
  type AnomalyRule,
  alreadyFound,
  anomalyFact,
  densestWindow,
  lateSuccessFinding,
  refusedCallsFinding,
  rulesFor,
} from '../../functions/domain/anomaly.js';
import { classifyCall } from '../../functions/domain/callOutcome.js';
import type { CatalogRole } from '../../functions/domain/catalog.js';
import { approve } from '../../functions/domain/decisions.js';
import { revokeForAnomaly } from '../../functions/domain/ending.js';
import { openGrant } from '../../functions/domain/grant.js';
import { assumedRoleCall } from '../helpers/cloudTrailRecords.js';
import { exampleConfig } from '../helpers/fixtures.js';
import { verifySigned } from '../helpers/signedChains.js';

const GRANT = 'g-01jd0000000000000000000000';
const T0 = Date.parse('2026-11-23T09:00:00.000Z');
const second = (s: number) => new Date(T0 + s * 1000).toISOString();

const PROBING: AnomalyRule = {
  id: 'prod-probing',
  roles: ['prod-read'],
  trigger: 'refused-calls',
  threshold: 10,
  windowSeconds: 300,
  response: 'revoke',
};

/**
 * Recorded CloudTrail records of one grant, read and filed as the recorder does; the anomaly rule
 * sees the refused calls of the live grant (the store keeps exactly those, docs/audit.md).
 */
const refusedWhileLive = (records: ReturnType<typeof assumedRoleCall>[]): RefusedCall[] =>
  records.flatMap((record) => {
    const use = activityOf(record);
    if (use === undefined) return [];
    const filed = classifyCall(use, undefined);
    return filed.phase === 'live' && filed.outcome === 'refused'
      ? [{ eventId: use.eventId, action: use.action, at: use.at }]
      : [];
  });

const refused = (n: number, spreadSeconds: number, options: { eventName?: string; eventSource?: string } = {}) =>
  Array.from({ length: n }, (_, i) =>
    assumedRoleCall({
      eventId: `ev-${options.eventName ?? 'x'}-${i}`,
      at: second(n === 1 ? 0 : (i * spreadSeconds) / (n - 1)),
      sourceIdentity: GRANT,
      errorCode: 'AccessDenied',
      eventName: options.eventName ?? 'ListBuckets',
      ...(options.eventSource ? { eventSource: options.eventSource } : {}),
    })
  );

describe('the refused-calls rule', () => {
  it.each([
    ['one short of the threshold', 9, 60, false],
    ['at the threshold', 10, 60, true],
    ['above it', 25, 60, true],
  ])('%s (%i refused calls in %i s): fires %s', (_case, n, spread, fires) => {
    expect(refusedCallsFinding(PROBING, refusedWhileLive(refused(n, spread))) !== undefined).toBe(fires);
  });

  it.each([
    ['exactly the window apart (both ends count)', 300, true],
    ['a millisecond wider than the window', 300.001, false],
  ])('ten calls spread %s: fires %s', (_case, spread, fires) => {
    expect(refusedCallsFinding(PROBING, refusedWhileLive(refused(10, spread as number))) !== undefined).toBe(fires);
  });

  it('counts a redelivered CloudTrail event once', () => {
    const nine = refused(9, 60);
    const duplicates = [...nine, ...nine, nine[0] as ReturnType<typeof assumedRoleCall>];
    expect(refusedCallsFinding(PROBING, refusedWhileLive(duplicates))).toBeUndefined();
  });

  it('never counts sts:GetCallerIdentity, which no policy can deny, nor calls AWS let through', () => {
    const calls = [
      ...refused(9, 60),
      ...refused(5, 60, { eventSource: 'sts.amazonaws.com', eventName: 'GetCallerIdentity' }),
      assumedRoleCall({ eventId: 'ok', at: second(10), sourceIdentity: GRANT }),
      assumedRoleCall({ eventId: 'missing', at: second(11), sourceIdentity: GRANT, errorCode: 'NoSuchKey' }),
    ];
    expect(refusedCallsFinding(PROBING, refusedWhileLive(calls))).toBeUndefined();
  });

  it('finds the densest window among scattered calls, and keeps it as evidence', () => {
    // Four early calls, then ten within two minutes an hour later.
    const early = refused(4, 30);
    const burst = refused(10, 120, { eventName: 'ListRoles', eventSource: 'iam.amazonaws.com' }).map((r) => ({
      ...r,
      eventTime: new Date(Date.parse(r.eventTime) + 3600_000).toISOString(),
    }));
    const finding = refusedCallsFinding(PROBING, refusedWhileLive([...burst.reverse(), ...early]));
    expect(finding?.evidence).toEqual({
      rule: 'prod-probing',
      response: 'revoke',
      trigger: 'refused-calls',
      refusedCalls: 10,
      threshold: 10,
      windowSeconds: 300,
      from: second(3600),
      to: second(3720),
      actions: ['iam:ListRoles'],
      eventIds: Array.from({ length: 10 }, (_, i) => `ev-ListRoles-${i}`),
    });
    expect(finding?.reason).toBe('anomaly rule prod-probing: AWS refused 10 calls within 5m (threshold 10)');
  });

  it('picks the earliest of equally dense windows', () => {
    const calls: RefusedCall[] = [0, 10, 1000, 1010].map((s, i) => ({
      eventId: `e${i}`,
      action: 'a:B',
      at: second(s),
    }));
    expect(densestWindow(calls, 60).map((c) => c.eventId)).toEqual(['e0', 'e1']);
    expect(densestWindow([], 60)).toEqual([]);
  });
});

describe('which rules apply', () => {
  const config: AnomalyConfig = {
    rules: [
      PROBING,
      { id: 'everyone-late', roles: ['*'], trigger: 'used-after-end', response: 'flag' },
      {
        id: 'staging',
        roles: ['staging-deploy'],
        trigger: 'refused-calls',
        threshold: 5,
        windowSeconds: 60,
        response: 'flag',
      },
    ],
  };
  it.each([
    ['prod-read', 'refused-calls', ['prod-probing']],
    ['prod-read', 'used-after-end', ['everyone-late']],
    ['staging-deploy', 'refused-calls', ['staging']],
    ['prod-admin', 'refused-calls', []],
  ] as const)('%s, %s: %j', (role, trigger, ids) => {
    expect(rulesFor(config, role, trigger).map((r) => r.id)).toEqual(ids);
  });
});

// The example catalog's role: what a new user sees.
const role = (await exampleConfig()).catalog.roles.get('prod-read') as CatalogRole;

describe('what a finding does to the chain', () => {
  const opened = openGrant({
    id: GRANT,
    requester: 'alice',
    request: {
      role: role.id,
      scope: { actions: ['s3:GetObject'], resources: ['*'] },
      durationSeconds: 3600,
      reason: 'r',
    },
    role,
    rule: { approvers: ['bob'], required: 1, pendingWindowSeconds: 3600, maxDurationSeconds: 43_200, source: ['t'] },
    catalogVersion: 'v1',
    narrowed: { sessionPolicy: '{}', privilegeWidth: 1 },
    now: new Date(T0),
  });
  const approved = approve(opened.grant, { userId: 'bob', groups: [] }, new Date(T0 + 60_000));
  const finding = refusedCallsFinding(PROBING, refusedWhileLive(refused(10, 60)));
  if (finding === undefined) throw new Error('the rule should fire');

  it('revokes as the rule, with the evidence in the revocation event', async () => {
    const revoked = revokeForAnomaly(approved.grant, finding, new Date(T0 + 120_000));
    expect(revoked.grant).toMatchObject({ state: 'REVOKED', endedBy: 'policy:anomaly-prod-probing' });
    expect(revoked.event).toMatchObject({
      type: 'grant.revoked',
      actor: 'policy:anomaly-prod-probing',
      details: { reason: finding.reason, anomaly: finding.evidence },
    });
    expect((await verifySigned([opened, approved, revoked])).valid).toBe(true);
    expect(alreadyFound([revoked.event], PROBING)).toBe(true);
  });

  it('flags without changing the state, once per rule', () => {
    const flag = { ...PROBING, response: 'flag' as const };
    const flagged = anomalyFact(approved.grant, { ...finding, rule: flag }, new Date(T0 + 120_000));
    expect(flagged.grant.state).toBe('APPROVED');
    expect(flagged.event).toMatchObject({ type: 'grant.anomaly-detected', actor: 'policy:anomaly-prod-probing' });
    expect(alreadyFound([opened.event, approved.event, flagged.event], flag)).toBe(true);
    expect(alreadyFound([opened.event, approved.event, flagged.event], { id: 'another-rule' })).toBe(false);
  });

  it('keeps a late success with the kill’s time as evidence', () => {
    const late = activityOf(assumedRoleCall({ eventId: 'late', at: second(4000), sourceIdentity: GRANT }));
    if (late === undefined) throw new Error('not a grant call');
    const rule: AnomalyRule = { id: 'late', roles: ['*'], trigger: 'used-after-end', response: 'flag' };
    expect(lateSuccessFinding(rule, late, second(3600), second(3602), 'kill-did-not-hold').evidence).toEqual({
      rule: 'late',
      response: 'flag',
      trigger: 'used-after-end',
      eventId: 'late',
      action: 's3:GetObject',
      at: second(4000),
      endedAt: second(3600),
      killAppliedAt: second(3602),
      lateSuccess: 'kill-did-not-hold',
    });
  });
});
