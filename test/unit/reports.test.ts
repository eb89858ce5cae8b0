import { describe, expect, it } from 'vitest';
import { type GrantActivity, NO_ACTIVITY } from '../../functions/domain/activity.js';
import type { AuditEvent } from '../../functions/domain/auditChain.js';
import { type CallOutcome, noOutcomes } from '../../functions/domain/callOutcome.js';
import type { Grant } from '../../functions/domain/grant.js';
import {
  buildReport,
  type DenialRecord,
  type GrantHistory,
  percentile,
  type ReportInput,
} from '../../functions/domain/reports.js';

const FROM = '2026-11-09T00:00:00.000Z';
const TO = '2026-11-23T00:00:00.000Z';

/** A grant history as the store would hold it; only what the reports read is filled in. */
const history = (
  id: string,
  overrides: Partial<Grant> & {
    events?: [type: string, at: string, details?: Record<string, unknown>][];
    used?: Record<string, number>;
    /** Calls after the end (beyond the grace), by what AWS answered. */
    late?: CallOutcome[];
    activity?: Partial<GrantActivity>;
  } = {}
): GrantHistory => {
  const { events = [], used = {}, late = [], activity: recorded = {}, ...grant } = overrides;
  const grantId = `g-${id.padStart(26, '0')}`;
  const afterEndOutcomes = noOutcomes();
  for (const outcome of late) afterEndOutcomes[outcome] += 1;
  const activity: GrantActivity = {
    ...NO_ACTIVITY(grantId),
    actions: used,
    calls: Object.values(used).reduce((a, b) => a + b, 0),
    afterEndCount: late.length,
    afterEnd: late.map((outcome, i) => ({
      eventId: `late-${i}`,
      action: 's3:GetObject',
      at: '2026-11-10T11:00:00.000Z',
      ...(outcome === 'refused' ? { errorCode: 'AccessDenied' } : {}),
      outcome,
    })),
    afterEndOutcomes,
    ...recorded,
  };
  return {
    grant: {
      id: grantId,
      requester: 'alice',
      roleId: 'prod-read',
      state: 'ENDED',
      createdAt: '2026-11-10T09:00:00.000Z',
      approvedAt: '2026-11-10T09:01:00.000Z',
      expiresAt: '2026-11-10T10:01:00.000Z',
      privilegeWidth: 10,
      scope: { actions: ['s3:Get*', 's3:List*'], resources: ['*'] },
      ...grant,
    } as Grant,
    events: events.map(
      ([type, at, details = {}], i) =>
        ({ type, at, details, seq: i + 1, actor: 'x', toState: 'ENDED' }) as unknown as AuditEvent
    ),
    activity,
  };
};

const input = (grants: GrantHistory[], extra: Partial<ReportInput> = {}): ReportInput => ({
  from: FROM,
  to: TO,
  grants,
  denials: [],
  reuseThreshold: 5,
  ...extra,
});

describe('privilege width', () => {
  it.each([
    ['unused grant', [history('1', { privilegeWidth: 8 })], { granted: 8, used: 0, usedRatio: 0 }],
    [
      'half used',
      [history('1', { privilegeWidth: 4, used: { 's3:GetObject': 3, 's3:ListBucket': 1 } })],
      { granted: 4, used: 2, usedRatio: 0.5 },
    ],
    [
      'two grants add up',
      [
        history('1', { privilegeWidth: 4, used: { 's3:GetObject': 1 } }),
        history('2', { privilegeWidth: 6, used: { 's3:GetObject': 9 } }),
      ],
      { granted: 10, used: 2, usedRatio: 0.2 },
    ],
    [
      'requests never approved do not count',
      [history('1', { approvedAt: undefined, state: 'DENIED' })],
      { granted: 0, used: 0, usedRatio: null },
    ],
  ])('%s', (_name, grants, summary) => {
    expect(buildReport('width', input(grants)).summary).toMatchObject(summary);
  });

  it('counts calls outside the scope apart (sts:GetCallerIdentity needs no permission)', () => {
    const grant = history('1', {
      privilegeWidth: 2,
      used: { 's3:GetObject': 1, 'sts:GetCallerIdentity': 4, 's3:PutObject': 1 },
    });
    expect(buildReport('width', input([grant])).rows[0]).toMatchObject({
      granted: 2,
      used: 1,
      usedRatio: 0.5,
      usedOutsideScope: 2,
    });
  });

  it('sums per role and hints when a role is mostly unused over several grants', () => {
    const grants = ['1', '2', '3'].map((id) => history(id, { privilegeWidth: 20, used: { 's3:GetObject': 1 } }));
    const report = buildReport('width', input(grants));
    expect(report.summary['role:prod-read']).toBe('3/60 in 3');
    expect(report.hints).toEqual(['prod-read: 3 of 60 granted actions used over 3 grants: narrow its task templates']);
  });
});

describe('time to kill', () => {
  it.each([
    [
      'ended early, killed 4 s later',
      history('1', {
        events: [
          ['grant.ended', '2026-11-10T09:31:00.000Z', { sessionKill: 'until x' }],
          ['grant.sessions-killed', '2026-11-10T09:31:04.000Z'],
        ],
      }),
      { endedBy: 'ended', kill: 'applied', secondsToKill: 4, secondsReturned: 1800 },
    ],
    [
      'expired with credentials already gone',
      history('2', { events: [['grant.expired', '2026-11-10T10:01:00.000Z', { sessionKill: 'not needed' }]] }),
      { endedBy: 'expired', kill: 'not needed', secondsToKill: null, secondsReturned: 0 },
    ],
    [
      'revoked, kill not recorded yet',
      history('3', { events: [['grant.revoked', '2026-11-10T09:11:00.000Z', { sessionKill: 'until y' }]] }),
      { endedBy: 'revoked', kill: 'pending', secondsToKill: null, secondsReturned: 3000 },
    ],
  ])('%s', (_name, grant, row) => {
    expect(buildReport('time-to-kill', input([grant])).rows[0]).toMatchObject(row);
  });

  it('summarises median and max, early ends, and names the pending kills', () => {
    const kill = (id: string, s: number) =>
      history(id, {
        events: [
          ['grant.ended', '2026-11-10T09:31:00.000Z', { sessionKill: 'until x' }],
          ['grant.sessions-killed', new Date(Date.parse('2026-11-10T09:31:00.000Z') + s * 1000).toISOString()],
        ],
      });
    const pending = history('9', {
      events: [['grant.revoked', '2026-11-10T09:11:00.000Z', { sessionKill: 'until y' }]],
    });
    const report = buildReport(
      'time-to-kill',
      input([kill('1', 2), kill('2', 10), kill('3', 4), pending, history('4')])
    );
    expect(report.summary).toMatchObject({
      ended: 4,
      endedEarly: 4,
      killsApplied: 3,
      killsPending: 1,
      medianSecondsToKill: 4,
      maxSecondsToKill: 10,
    });
    expect(report.hints).toHaveLength(1);
    expect(report.hints[0]).toContain(pending.grant.id);
  });

  it('measures each kill to the first refusal (IAM propagation) and counts the kills that did not hold', () => {
    const ENDED = '2026-11-10T09:31:00.000Z';
    const sinceEnd = (s: number) => new Date(Date.parse(ENDED) + s * 1000).toISOString();
    const killed = (id: string, activity: Partial<GrantActivity>) =>
      history(id, {
        events: [
          ['grant.ended', ENDED, { sessionKill: 'until x' }],
          ['grant.sessions-killed', sinceEnd(2)],
        ],
        activity,
      });
    const grants = [
      killed('1', { firstRefusedSinceEndAt: sinceEnd(3) }),
      killed('2', { firstRefusedSinceEndAt: sinceEnd(12) }),
      killed('3', { firstRefusedSinceEndAt: sinceEnd(5.5) }),
      // Its first refusal came, but a call got through five minutes after the kill.
      killed('4', { firstRefusedSinceEndAt: sinceEnd(4), lastSucceededAfterEndAt: sinceEnd(302) }),
      killed('5', {}),
    ];
    const report = buildReport('time-to-kill', input(grants));
    expect(report.rows.map((r) => [r.secondsToFirstRefusal, r.killHeld])).toEqual([
      [1, 'held'],
      [10, 'held'],
      [3.5, 'held'],
      [2, 'did-not-hold'],
      [null, 'untested'],
    ]);
    expect(report.summary).toMatchObject({
      killsSeenRefusing: 4,
      medianSecondsToFirstRefusal: 2,
      p95SecondsToFirstRefusal: 10,
      maxSecondsToFirstRefusal: 10,
      grantsUsedAfterKill: 1,
    });
    expect(report.hints).toEqual([
      `${grants[3]?.grant.id}: a call got through more than 60 s after its kill was in force: the kill did not hold`,
    ]);
  });

  it.each([
    [[], 0.5, null],
    [[7], 0.5, 7],
    [[1, 2, 3, 4], 0.5, 2],
    [[5, 1, 3], 1, 5],
  ])('percentile(%j, %f) = %s', (values, share, expected) => {
    expect(percentile(values, share)).toBe(expected);
  });
});

describe('use after the end', () => {
  it('lists every late call with what AWS answered, and names only the grants whose calls got through', () => {
    const leaked = history('1', { endedAt: '2026-11-10T10:00:00.000Z', late: ['succeeded', 'refused'] });
    const held = history('3', { endedAt: '2026-11-10T10:00:00.000Z', late: ['refused', 'refused', 'undeniable'] });
    const report = buildReport('after-end', input([leaked, history('2'), held]));
    expect(report.summary).toEqual({
      grants: 2,
      calls: 5,
      refused: 3,
      succeeded: 1,
      failed: 0,
      undeniable: 1,
      grantsWithSuccess: 1,
    });
    expect(report.rows).toHaveLength(5);
    expect(report.rows[0]).toMatchObject({
      grantId: leaked.grant.id,
      action: 's3:GetObject',
      secondsAfterEnd: 3600,
      outcome: 'succeeded',
      errorCode: null,
    });
    expect(report.rows[1]).toMatchObject({ outcome: 'refused', errorCode: 'AccessDenied' });
    expect(report.hints).toEqual([
      `${leaked.grant.id} (alice on prod-read): 1 call(s) succeeded after it ended: investigate`,
    ]);
  });

  it('is empty when nothing was used late', () => {
    expect(buildReport('after-end', input([history('1')])).rows).toEqual([]);
  });

  it("says how many late calls it cannot list: the store keeps a grant's first ones, and only counts the rest", () => {
    const leaked = history('1', { late: ['refused', 'refused'] });
    // 2 calls kept one by one, 30 after them only counted (the store's LATE_CALLS_KEPT).
    const counted = {
      ...leaked,
      activity: {
        ...leaked.activity,
        afterEndCount: 32,
        afterEndOutcomes: { ...leaked.activity.afterEndOutcomes, succeeded: 30 },
      },
    };
    const report = buildReport('after-end', input([counted]));
    expect(report.rows).toHaveLength(2);
    expect(report.rowsOmitted).toBe(30);
    expect(report.summary).toMatchObject({ calls: 32, succeeded: 30, grantsWithSuccess: 1 });
  });
});

describe('reuse', () => {
  const many = (n: number, requester = 'alice', roleId = 'prod-read') =>
    Array.from({ length: n }, (_, i) =>
      history(`${requester}${roleId}${i}`.replace(/[^0-9a-z]/g, '').slice(0, 20) + i, {
        requester,
        roleId,
        used: { 's3:GetObject': 1 },
      })
    );

  it.each([
    [4, 5, false],
    [5, 5, true],
    [19, 5, true],
    [19, 20, false],
  ])('%i elevations with threshold %i: redesign %s', (n, threshold, redesign) => {
    const report = buildReport('reuse', input(many(n), { reuseThreshold: threshold }));
    expect(report.rows[0]).toMatchObject({ requester: 'alice', role: 'prod-read', elevations: n, redesign });
    expect(report.hints.length).toBe(redesign ? 1 : 0);
  });

  it('words the hint as the issue does, with the period in days and the actions used', () => {
    const report = buildReport('reuse', input(many(19)));
    expect(report.hints).toEqual([
      'alice elevated to prod-read 19 times in 14 days: consider a standing narrow role (actions used: s3:GetObject)',
    ]);
  });

  it('counts each person and role apart, most elevations first', () => {
    const report = buildReport(
      'reuse',
      input([...many(2, 'bob'), ...many(3, 'alice'), ...many(1, 'alice', 'prod-admin')])
    );
    expect(report.rows.map((r) => [r.requester, r.role, r.elevations])).toEqual([
      ['alice', 'prod-read', 3],
      ['bob', 'prod-read', 2],
      ['alice', 'prod-admin', 1],
    ]);
  });
});

describe('exceptions', () => {
  it('counts break-glass (reviewed or not), extensions, overrides and both kinds of denial', () => {
    const denial: DenialRecord = {
      at: '2026-11-11T08:00:00.000Z',
      requester: 'erin',
      roleId: 'prod-admin',
      breakGlass: true,
      forbiddenBy: ['no-break-glass-outside-oncall'],
    };
    const grants = [
      history('1', {
        requester: 'carol',
        roleId: 'prod-admin',
        breakGlass: true,
        ticket: 'INC-4711',
        review: { required: true },
      }),
      history('2', { breakGlass: true, review: { required: true, reviewedBy: 'dave' } }),
      history('3', {
        events: [
          ['grant.extension-requested', '2026-11-10T09:20:00.000Z'],
          ['grant.extended', '2026-11-10T09:25:00.000Z'],
        ],
      }),
      history('4', { events: [['grant.revoked', '2026-11-10T09:40:00.000Z', { reason: 'suspicious' }]] }),
      history('5', { approvedAt: undefined, state: 'DENIED', events: [['grant.denied', '2026-11-10T09:05:00.000Z']] }),
    ];
    const report = buildReport('exceptions', input(grants, { denials: [denial] }));
    expect(report.summary).toEqual({
      breakGlass: 2,
      breakGlassUnreviewed: 1,
      extensions: 1,
      overrides: 1,
      denials: 2,
      mayOutliveKill: 0,
      extensionRequests: 1,
    });
    expect(report.rows.find((r) => r.kind === 'break-glass' && r.requester === 'carol')?.detail).toBe(
      'INC-4711; review open'
    );
    expect(report.rows.find((r) => r.grantId === null)?.detail).toBe(
      'policy no-break-glass-outside-oncall (break-glass)'
    );
    expect(report.hints).toEqual([
      `${grants[0]?.grant.id}: break-glass by carol awaits security's review (jit review)`,
    ]);
  });

  it('counts grants that may outlive their kill, and asks to check the ones that got access', () => {
    const approvals = ['bob', 'carol', 'dave'].map((by) => ({ by, at: '2026-11-10T09:01:00.000Z' }));
    const grants = [
      history('1', { roleId: 'prod-admin', mayOutliveKill: ['sts:AssumeRole'], approvals }),
      history('2', {
        mayOutliveKill: ['iam:CreateAccessKey', 'iam:PassRole'],
        approvals: [],
        approvedAt: undefined,
        state: 'DENIED',
        createdAt: '2026-11-11T09:00:00.000Z',
      }),
      history('3', { approvals }),
    ];
    const report = buildReport('exceptions', input(grants));
    expect(report.summary.mayOutliveKill).toBe(2);
    expect(report.rows.filter((r) => r.kind === 'may-outlive-kill')).toEqual([
      {
        grantId: grants[0]?.grant.id,
        requester: 'alice',
        role: 'prod-admin',
        kind: 'may-outlive-kill',
        at: '2026-11-10T09:00:00.000Z',
        detail: 'names sts:AssumeRole; approved by bob, carol, dave',
      },
      {
        grantId: grants[1]?.grant.id,
        requester: 'alice',
        role: 'prod-read',
        kind: 'may-outlive-kill',
        at: '2026-11-11T09:00:00.000Z',
        detail: 'names iam:CreateAccessKey, iam:PassRole; DENIED',
      },
    ]);
    expect(report.hints).toEqual([
      `${grants[0]?.grant.id}: could keep access past its end (names sts:AssumeRole): look for sessions or ` +
        `credentials it created (jit audit ${grants[0]?.grant.id} --cloudtrail)`,
    ]);
  });
});

describe('trends', () => {
  it('buckets per day: requests, grants, access hours, width used, exceptions', () => {
    const day1 = [
      history('1', { used: { 's3:GetObject': 1 }, privilegeWidth: 4, endedAt: '2026-11-10T09:31:00.000Z' }),
      history('2', { breakGlass: true, privilegeWidth: 4 }),
    ];
    const day2 = [history('3', { createdAt: '2026-11-12T09:00:00.000Z', approvedAt: undefined, state: 'DENIED' })];
    const denial: DenialRecord = {
      at: '2026-11-12T10:00:00.000Z',
      requester: 'erin',
      roleId: 'prod-admin',
      breakGlass: false,
      forbiddenBy: [],
    };
    const report = buildReport('trends', input([...day1, ...day2], { denials: [denial] }));
    expect(report.rows).toEqual([
      {
        day: '2026-11-10',
        requested: 2,
        granted: 2,
        accessHours: 1.5,
        usedRatio: 0.13,
        breakGlass: 1,
        denials: 0,
        afterEndCalls: 0,
      },
      {
        day: '2026-11-12',
        requested: 1,
        granted: 0,
        accessHours: 0,
        usedRatio: null,
        breakGlass: 0,
        denials: 2,
        afterEndCalls: 0,
      },
    ]);
  });
});

describe('built as grants stream by', () => {
  /** Grants on different days and hours, some ended with a kill, some late calls, some break-glass. */
  const varied = Array.from({ length: 60 }, (_, i) => {
    const createdAt = new Date(Date.parse('2026-11-10T00:00:00.000Z') + ((i * 37) % 60) * 3600_000);
    const at = (s: number) => new Date(createdAt.getTime() + s * 1000).toISOString();
    return history(String(i), {
      requester: `user-${i % 4}`,
      roleId: i % 3 === 0 ? 'prod-admin' : 'prod-read',
      createdAt: createdAt.toISOString(),
      approvedAt: at(60),
      expiresAt: at(3660),
      endedAt: at(1800),
      privilegeWidth: 4 + (i % 5),
      used: i % 2 === 0 ? { 's3:GetObject': 1 } : {},
      ...(i % 7 === 0 ? { breakGlass: true, review: { required: true as const } } : {}),
      late: i % 9 === 0 ? ['refused', 'succeeded'] : [],
      events: [
        ['grant.ended', at(1800), { sessionKill: 'until x' }],
        ...(i % 5 === 0 ? [] : ([['grant.sessions-killed', at(1800 + (i % 11))]] as [string, string][])),
      ],
    });
  });
  const kinds = ['width', 'time-to-kill', 'after-end', 'reuse', 'exceptions', 'trends'] as const;

  it.each(kinds)('%s: the same report whatever order the grants are read in', (kind) => {
    const reversed = [...varied].reverse();
    expect(buildReport(kind, input(reversed))).toEqual(buildReport(kind, input(varied)));
  });

  it.each(kinds)('%s: with a row limit, the first rows and the same summary', (kind) => {
    const whole = buildReport(kind, input(varied));
    const limited = buildReport(kind, input(varied), 5);
    expect(limited.summary).toEqual(whole.summary);
    if (whole.rows.length > 5 && kind !== 'reuse' && kind !== 'trends') {
      expect(limited.rows).toEqual(whole.rows.slice(0, 5));
      expect(limited.rowsOmitted).toBe(whole.rows.length - 5);
    } else {
      // One row per person and role, or per day: bounded by those, not by the grants.
      expect(limited.rows).toEqual(whole.rows);
      expect(limited).not.toHaveProperty('rowsOmitted');
    }
  });

  it('names the first grants of a kind in its hints and counts the rest', () => {
    const limited = buildReport('time-to-kill', input(varied), 3);
    const pending = varied.filter((g) => !g.events.some((e) => e.type === 'grant.sessions-killed'));
    expect(limited.summary.killsPending).toBe(pending.length);
    expect(limited.hints).toHaveLength(4);
    expect(limited.hints[3]).toBe(`… and ${pending.length - 3} more kills not recorded yet (rows with kill=pending)`);
  });
});
