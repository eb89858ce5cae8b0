import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ActivityView } from '../../cli/api/brokerApi.js';
import { activityLines } from '../../cli/output.js';
import { reportCsv, reportTable } from '../../cli/reportFormat.js';
import { NO_ACTIVITY } from '../../functions/domain/activity.js';
import type { AuditEvent } from '../../functions/domain/auditChain.js';
import type { Grant } from '../../functions/domain/grant.js';
import { buildReport } from '../../functions/domain/reports.js';

beforeEach(() => {
  vi.stubEnv('TZ', 'Europe/Berlin');
});
afterEach(() => {
  vi.unstubAllEnvs();
});

const base: ActivityView = {
  source: 'recorder',
  actions: { 's3:GetObject': 3, 'sts:GetCallerIdentity': 1 },
  calls: 4,
  firstUsedAt: '2026-11-23T09:10:00.000Z',
  lastUsedAt: '2026-11-23T10:05:00.000Z',
  afterEndCount: 0,
  afterEnd: [],
};

describe('jit audit: the activity block', () => {
  it('says when the kill was in force and how long AWS took to refuse the first call', () => {
    const text = activityLines('activity (recorded)', {
      ...base,
      afterEndCount: 2,
      afterEnd: [
        {
          eventId: 'e-1',
          action: 's3:GetObject',
          at: '2026-11-23T10:05:00.000Z',
          errorCode: 'AccessDenied',
          outcome: 'refused',
        },
        { eventId: 'e-2', action: 'sts:GetCallerIdentity', at: '2026-11-23T10:06:00.000Z', outcome: 'undeniable' },
      ],
      afterEndOutcomes: { refused: 1, succeeded: 0, failed: 0, undeniable: 1 },
      refusedWhileLive: 2,
      kill: {
        appliedAt: '2026-11-23T10:00:02.000Z',
        firstRefusalAt: '2026-11-23T10:00:04.400Z',
        propagationSeconds: 2.4,
        verdict: 'held',
      },
    }).split('\n');
    expect(text).toEqual([
      // Local time for people (TZ=Europe/Berlin here): the API and --json keep UTC.
      'activity (recorded): 4 calls, first 23 Nov 2026, 10:10:00 CET, last 23 Nov 2026, 11:05:00 CET',
      '      3  s3:GetObject',
      '      1  sts:GetCallerIdentity',
      "  refused while live: 2 call(s) outside the grant's scope",
      '  kill: held; in force 2026-11-23T10:00:02.000Z; AWS first refused a call 2.4 s later (IAM propagation)',
      '  after the end (beyond the grace): 2 call(s): 1 refused, 0 SUCCEEDED, 0 failed, 1 not deniable',
      '    2026-11-23T10:05:00.000Z  s3:GetObject  refused AccessDenied  event e-1',
      '    2026-11-23T10:06:00.000Z  sts:GetCallerIdentity  not deniable  event e-2',
    ]);
  });

  it('shouts when a call got through after the end', () => {
    const text = activityLines('activity (recorded)', {
      ...base,
      afterEndCount: 1,
      afterEnd: [{ eventId: 'e-9', action: 's3:GetObject', at: '2026-11-23T10:09:00.000Z', outcome: 'succeeded' }],
      afterEndOutcomes: { refused: 0, succeeded: 1, failed: 0, undeniable: 0 },
      kill: {
        appliedAt: '2026-11-23T10:00:02.000Z',
        firstRefusalAt: null,
        propagationSeconds: null,
        verdict: 'did-not-hold',
      },
    });
    expect(text).toContain(
      '  kill: DID NOT HOLD: a call got through after it was in force; in force 2026-11-23T10:00:02.000Z'
    );
    expect(text).toContain('  USED AFTER END: 1 call(s) got through');
  });

  it('still reads an older broker’s answer without outcomes', () => {
    const text = activityLines('activity (recorded)', {
      ...base,
      afterEndCount: 1,
      afterEnd: [{ eventId: 'e-1', action: 's3:GetObject', at: '2026-11-23T10:05:00.000Z' }],
    });
    expect(text).toContain(
      '  after the end (beyond the grace): 1 call(s)\n    2026-11-23T10:05:00.000Z  s3:GetObject  event e-1'
    );
  });
});

describe('jit report time-to-kill', () => {
  const grantId = 'g-01jd0000000000000000000000';
  const event = (type: string, at: string, details: Record<string, unknown> = {}) =>
    ({ type, at, details, seq: 1, actor: 'alice', toState: 'ENDED' }) as unknown as AuditEvent;
  const report = buildReport('time-to-kill', {
    from: '2026-11-01T00:00:00.000Z',
    to: '2026-11-30T00:00:00.000Z',
    denials: [],
    reuseThreshold: 5,
    grants: [
      {
        grant: { id: grantId, requester: 'alice', roleId: 'prod-read', expiresAt: '2026-11-23T11:00:00.000Z' } as Grant,
        events: [
          event('grant.ended', '2026-11-23T10:00:00.000Z', { sessionKill: 'until 2026-11-23T11:05:00.000Z' }),
          event('grant.sessions-killed', '2026-11-23T10:00:01.000Z'),
        ],
        activity: { ...NO_ACTIVITY(grantId), firstRefusedSinceEndAt: '2026-11-23T10:00:03.700Z' },
      },
    ],
  });

  it('carries the propagation figure in CSV (per grant) and in the table (per grant and summary)', () => {
    const [header, row] = reportCsv([report]).split('\n');
    expect(header).toBe(
      'report,grantId,requester,role,endedBy,endedAt,kill,secondsToKill,secondsReturned,secondsToFirstRefusal,killHeld'
    );
    expect(row).toBe(`time-to-kill,${grantId},alice,prod-read,ended,2026-11-23T10:00:00.000Z,applied,1,3600,2.7,held`);
    const table = reportTable(report);
    expect(table).toContain('secondsToFirstRefusal  killHeld');
    expect(table).toContain(
      'medianSecondsToFirstRefusal=2.7  p95SecondsToFirstRefusal=2.7  maxSecondsToFirstRefusal=2.7'
    );
    expect(table).toContain('grantsUsedAfterKill=0');
  });
});
