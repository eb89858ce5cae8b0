import { describe, expect, it } from 'vitest';
import { approvalBlock, checkScopeLine, parseDuration, profileLines, quorumText } from '../../ui/src/view/grants.js';
import { chartOf, filterRows } from '../../ui/src/view/reports.js';
import { routeOf } from '../../ui/src/view/route.js';
import { buildTimeline, chainVerdictText, killStateText } from '../../ui/src/view/timeline.js';
import type { AuditView, GrantView, ReportView } from '../../ui/src/view/types.js';

const ID = 'g-01m8sykyy5b6x0kdtgtkcav09m';
const grant = (over: Partial<GrantView> = {}): GrantView =>
  ({
    id: ID,
    requester: 'alice',
    roleId: 'prod-read',
    state: 'PENDING',
    approvers: ['group:sre'],
    requiredApprovals: 2,
    approvals: [],
    scope: { actions: ['s3:GetObject'], resources: ['*'] },
    ...over,
  }) as GrantView;

describe('approval in the console', () => {
  it('offers no approve button to the requester, a second approver, or once decided', () => {
    expect(approvalBlock(grant(), 'alice')).toMatch(/you asked for it/);
    expect(approvalBlock(grant({ approvals: [{ by: 'bob', at: 't' }] }), 'bob')).toMatch(/already approved/);
    expect(approvalBlock(grant({ state: 'ACTIVE' }), 'bob')).toMatch(/it is ACTIVE/);
    expect(approvalBlock(grant(), 'bob')).toBeUndefined();
  });

  it('explains quorum progress', () => {
    expect(quorumText(grant({ approvals: [{ by: 'bob', at: 't' }] }))).toBe(
      '1 of 2 approvals (approved by bob); approvers: group:sre'
    );
  });
});

describe('request form checks', () => {
  it('parses durations and says what to type otherwise', () => {
    expect(parseDuration('30m')).toBe(1800);
    expect(parseDuration(' 2h ')).toBe(7200);
    expect(parseDuration('0m')).toMatch(/more than zero/);
    expect(parseDuration('soon')).toMatch(/30m or 2h/);
  });

  it('checks actions and resources as they are typed', () => {
    expect(checkScopeLine('action', 's3:GetObject')).toBeUndefined();
    expect(checkScopeLine('action', 's3 GetObject')).toMatch(/service:Action/);
    expect(checkScopeLine('resource', 'arn:aws:s3:::example-bucket/*')).toBeUndefined();
    expect(checkScopeLine('resource', '*')).toBeUndefined();
    expect(checkScopeLine('resource', 'example-bucket')).toMatch(/ARNs/);
  });
});

describe('profile lines', () => {
  it('names the user in the sandbox and quotes what the shell would split', () => {
    const sandbox = profileLines(grant(), { mode: 'sandbox', apiUrl: 'http://127.0.0.1:8787' }, 'alice');
    expect(sandbox.process).toBe(
      `credential_process = jit creds ${ID} --format process --api http://127.0.0.1:8787 --as alice`
    );
    const signed = profileLines(grant(), { mode: 'signed', apiUrl: "https://x/it's" }, 'arn');
    expect(signed.setup).toContain(`--api 'https://x/it'\\''s'`);
    expect(signed.setup).not.toContain('--as');
  });
});

describe('routes', () => {
  it('maps hashes to pages and ignores malformed grant ids', () => {
    expect(routeOf(`#/grant/${ID}`)).toEqual({ page: 'grant', id: ID });
    expect(routeOf('#/grant/<script>')).toEqual({ page: 'access' });
    expect(routeOf('#/security')).toEqual({ page: 'security' });
  });
});

describe('the grant timeline', () => {
  const audit = (over: Partial<AuditView> = {}): AuditView =>
    ({
      grantId: ID,
      state: 'REVOKED',
      chain: { valid: true, length: 3, head: 'abcdef0123456789' },
      events: [
        {
          seq: 0,
          type: 'grant.requested',
          actor: 'alice',
          at: '2026-12-01T10:00:00.000Z',
          toState: 'PENDING',
          details: {},
        },
        {
          seq: 2,
          type: 'grant.revoked',
          actor: 'dave',
          at: '2026-12-01T10:20:00.000Z',
          toState: 'REVOKED',
          details: { reason: 'stop' },
        },
        {
          seq: 3,
          type: 'grant.sessions-killed',
          actor: 'system',
          at: '2026-12-01T10:20:01.000Z',
          toState: 'REVOKED',
          details: {},
        },
        {
          seq: 1,
          type: 'grant.activated',
          actor: 'alice',
          at: '2026-12-01T10:05:00.000Z',
          toState: 'ACTIVE',
          details: { accessKeyId: 'ASIAEXAMPLE' },
        },
      ],
      activity: {
        actions: { 's3:GetObject': 2 },
        calls: 2,
        firstUsedAt: '2026-12-01T10:06:00.000Z',
        lastUsedAt: '2026-12-01T10:06:00.000Z',
        afterEndCount: 1,
        afterEnd: [{ eventId: 'e1', action: 's3:GetObject', at: '2026-12-01T10:25:00.000Z', outcome: 'succeeded' }],
        afterEndOutcomes: { refused: 0, succeeded: 1, failed: 0, undeniable: 0 },
        refusedWhileLive: 0,
        source: 'recorder',
        kill: {
          appliedAt: '2026-12-01T10:20:01.000Z',
          firstRefusalAt: '2026-12-01T10:20:05.000Z',
          propagationSeconds: 4,
          verdict: 'did-not-hold',
        },
      },
      ...over,
    }) as AuditView;

  it('merges the chain and the activity in time order, and flags a call that got through after the end', () => {
    const entries = buildTimeline(audit());
    expect(entries.map((e) => e.title)).toEqual([
      'Requested',
      'Active',
      'First call (recorded)',
      'Revoked',
      'Kill written',
      'AWS first refused a call: the kill took hold',
      's3:GetObject after the end: succeeded',
    ]);
    expect(entries[1]?.detail).toContain('access key ASIAEXAMPLE');
    expect(entries.filter((e) => e.alarming).map((e) => e.title)).toEqual(['s3:GetObject after the end: succeeded']);
  });

  it('says when the chain is broken and where the kill stands', () => {
    expect(
      chainVerdictText({
        valid: false,
        length: 4,
        brokenAt: 2,
        fault: 'changed-after-signing',
        reason: 'hash mismatch',
      })
    ).toBe('Chain BROKEN at event 2 of 4: hash mismatch');
    expect(killStateText(audit())).toBe(
      'Kill written 2026-12-01T10:20:01.000Z, first refusal 2026-12-01T10:20:05.000Z (verdict: did-not-hold).'
    );
  });
});

describe('security reports', () => {
  const width: ReportView = {
    kind: 'width',
    from: 'a',
    to: 'b',
    columns: ['grantId', 'requester', 'role', 'granted', 'used'],
    rows: [
      { grantId: ID, requester: 'alice', role: 'prod-read', granted: 10, used: 1 },
      { grantId: 'not-a-grant', requester: 'erin', role: 'staging-deploy', granted: 4, used: null },
    ],
    summary: {},
    hints: [],
  };

  it('filters rows by role and user', () => {
    expect(filterRows(width, { role: 'PROD', user: '' })).toHaveLength(1);
    expect(filterRows(width, { role: '', user: 'erin' })).toHaveLength(1);
    expect(filterRows(width, { role: '', user: '' })).toHaveLength(2);
  });

  it('turns figures into chart series with the grant behind each bar', () => {
    expect(chartOf(width, width.rows)).toEqual({
      labels: [ID, 'not-a-grant'],
      series: [
        { name: 'granted', values: [10, 4] },
        { name: 'used', values: [1, null] },
      ],
      grants: [ID, undefined],
    });
    expect(chartOf({ ...width, kind: 'exceptions' }, width.rows)).toBeUndefined();
    expect(chartOf(width, [])).toBeUndefined();
  });
});
