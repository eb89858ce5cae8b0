import { describe, expect, it } from 'vitest';
import type { BrokerDeps } from '../../functions/app/deps.js';
import { REPORT_ANSWER_MARGIN_MS, runReport } from '../../functions/app/reports.js';
import { NO_ACTIVITY } from '../../functions/domain/activity.js';
import type { AuditEvent } from '../../functions/domain/auditChain.js';
import { ValidationError } from '../../functions/domain/errors.js';
import type { Grant } from '../../functions/domain/grant.js';
import { buildReport, REPORT_KINDS, type Report, reportHistory } from '../../functions/domain/reports.js';
import type { HttpDeps } from '../../functions/handlers/http/httpRoute.js';
import type { HttpEvent } from '../../functions/handlers/http/httpTypes.js';
import { getReport } from '../../functions/handlers/reportRoutes.js';
import type { Page, PageRequest } from '../../functions/ports.js';

const ROLES = ['prod-read', 'prod-admin'];
const NOW = new Date('2026-11-30T00:00:00.000Z');

/** `n` grants with full records (session policy, resources, hashes…), created out of order. */
const grants = (n: number): Grant[] =>
  Array.from({ length: n }, (_, i) => {
    const createdAt = new Date(Date.UTC(2026, 10, 1) + ((i * 7919) % 1000) * 3600_000).toISOString();
    return {
      id: `g-${String(i).padStart(26, '0')}`,
      requester: `user-${i % 7}`,
      roleId: ROLES[i % 2] as string,
      roleArn: 'arn:aws:iam::123456789012:role/jit/x',
      accountId: '123456789012',
      scope: { actions: ['s3:Get*'], resources: ['arn:aws:s3:::example/*'] },
      durationSeconds: 3600,
      reason: 'a reason long enough to matter '.repeat(4),
      state: i % 5 === 0 ? 'DENIED' : 'ENDED',
      version: 4,
      createdAt,
      pendingUntil: createdAt,
      approvers: ['group:sre'],
      requiredApprovals: 1,
      approvals: i % 5 === 0 ? [] : [{ by: 'bob', at: createdAt }],
      ...(i % 5 === 0 ? {} : { approvedAt: createdAt, expiresAt: createdAt, endedAt: createdAt }),
      catalogVersion: '1',
      sessionPolicy: 'x'.repeat(1500),
      privilegeWidth: 12,
      vendCount: 1,
      ...(i % 11 === 0 ? { breakGlass: true, review: { required: true as const } } : {}),
      chainHead: 'f'.repeat(64),
    } satisfies Grant;
  });

const eventsOf = (grant: Grant): AuditEvent[] =>
  ['grant.requested', 'grant.approved', 'grant.activated', 'grant.ended', 'grant.sessions-killed'].map(
    (type, i) =>
      ({
        grantId: grant.id,
        seq: i + 1,
        type,
        actor: grant.requester,
        at: grant.createdAt,
        details: type === 'grant.ended' ? { reason: 'done', sessionKill: 'until x' } : { big: 'y'.repeat(500) },
        prevHash: '0'.repeat(64),
        hash: '1'.repeat(64),
      }) as unknown as AuditEvent
  );

/**
 * A store double that pages the byRole index newest first, 100 a page, and counts history reads;
 * `catalog` is the configuration's roles, `recorded` the roles noted as having had grants.
 */
const depsWith = (all: readonly Grant[], roles: { catalog?: readonly string[]; recorded?: readonly string[] } = {}) => {
  const reads = { histories: 0 };
  const sorted = new Map(
    ROLES.map((r) => [r, all.filter((g) => g.roleId === r).sort((a, b) => b.createdAt.localeCompare(a.createdAt))])
  );
  const byId = new Map(all.map((g) => [g.id, g]));
  const byRole = (roleId: string) => sorted.get(roleId) ?? [];
  const deps = {
    config: { security: ['dave'], catalog: { roles: new Map((roles.catalog ?? ROLES).map((r) => [r, {}])) } },
    grantedRoles: { list: async () => roles.recorded ?? [] },
    clock: { now: () => NOW },
    store: {
      listByRole: async (roleId: string, page: PageRequest): Promise<Page<Grant>> => {
        const start = Number(page.cursor ?? 0);
        const items = byRole(roleId).slice(start, start + page.limit);
        const next = start + page.limit;
        return { items, ...(next < byRole(roleId).length ? { nextCursor: String(next) } : {}) };
      },
      auditTrail: async (id: string) => {
        reads.histories++;
        return eventsOf(byId.get(id) as Grant);
      },
    },
    activity: { get: async (id: string) => ({ ...NO_ACTIVITY(id), actions: { 's3:GetObject': 2 } }) },
    denials: { list: async () => [] },
    chainSigner: { verify: async () => 'valid' },
    logger: { warn: () => {} },
  } as unknown as BrokerDeps;
  return { deps, reads };
};

const dave = { userId: 'dave', groups: [] };
const period = { from: '2026-10-01T00:00:00.000Z', to: '2026-12-31T00:00:00.000Z' };

describe('runReport: histories streamed a page at a time', () => {
  it('gives every report exactly as built from the whole, untrimmed histories, oldest first', async () => {
    const all = grants(450);
    const { deps } = depsWith(all);
    const summary = (await runReport(deps, dave, 'summary', period)) as unknown as {
      reports: (Report & { integrity: { verified: number; broken: unknown[] } })[];
    };
    const whole = [...all]
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
      .map((grant) => ({
        grant,
        events: eventsOf(grant),
        activity: { ...NO_ACTIVITY(grant.id), actions: { 's3:GetObject': 2 } },
      }));
    const input = { ...period, grants: whole, denials: [], reuseThreshold: 5 };
    const built = REPORT_KINDS.map((kind) => buildReport(kind, input));
    // These events carry no signatures: each report also says it cannot vouch for any grant.
    expect(
      summary.reports.map(({ integrity: _, hints, ...report }) => ({ ...report, hints: hints.slice(0, -450) }))
    ).toEqual(built);
    for (const report of summary.reports) {
      expect(report.integrity.verified).toBe(0);
      expect(report.integrity.broken).toHaveLength(450);
      expect(report.hints.slice(-450).every((hint) => hint.startsWith('AUDIT CHAIN BROKEN for g-'))).toBe(true);
    }
  });

  it('lists the first 1,000 rows of each report and counts the rest; the summaries are over every grant', async () => {
    const all = grants(2500);
    const { deps } = depsWith(all);
    const summary = (await runReport(deps, dave, 'summary', period)) as unknown as {
      reports: (Report & { integrity: { verified: number; brokenCount: number; broken: unknown[] } })[];
    };
    const whole = all.map((grant) => ({
      grant,
      events: eventsOf(grant),
      activity: { ...NO_ACTIVITY(grant.id), actions: { 's3:GetObject': 2 } },
    }));
    const input = { ...period, grants: whole, denials: [], reuseThreshold: 5 };
    for (const report of summary.reports) {
      const built = buildReport(report.kind, input);
      expect(report.summary).toEqual(built.summary);
      expect(report.rows.length).toBe(Math.min(1000, built.rows.length));
      expect((report.rowsOmitted ?? 0) + report.rows.length).toBe(built.rows.length);
      expect(report.integrity).toMatchObject({ verified: 0, brokenCount: 2500 });
      expect(report.integrity.broken).toHaveLength(1000);
      expect(report.hints.at(-1)).toBe(
        'AUDIT CHAIN BROKEN for 1500 more grants: see integrity.brokenCount; shorten the period to name them'
      );
    }
    const width = summary.reports.find((r) => r.kind === 'width');
    expect(width?.rowsOmitted).toBe(1000);
  });

  it('reads the grants of a role removed from the catalog, once each, by the roles that have had grants', async () => {
    const all = grants(300);
    const inCatalog = depsWith(all);
    const retired = depsWith(all, { catalog: ['prod-read'], recorded: ['prod-admin', 'prod-read'] });
    const report = await runReport(retired.deps, dave, 'summary', period);
    expect(report).toEqual(await runReport(inCatalog.deps, dave, 'summary', period));
    expect(retired.reads.histories).toBe(300);
    expect(JSON.stringify(report)).toContain('prod-admin');
  });

  it('keeps of each grant only what the reports read', () => {
    const [grant] = grants(1) as [Grant];
    const trimmed = reportHistory(grant, eventsOf(grant), NO_ACTIVITY(grant.id));
    expect(JSON.stringify(trimmed).length).toBeLessThan(JSON.stringify({ grant, events: eventsOf(grant) }).length / 5);
    expect(trimmed.grant).not.toHaveProperty('sessionPolicy');
    expect(trimmed.events.map((e) => e.type)).toEqual(['grant.ended', 'grant.sessions-killed']);
  });

  it('stops with REPORT_TOO_LARGE past 10,000 grants, before reading every history', async () => {
    const { deps, reads } = depsWith(grants(10_150));
    const error = await runReport(deps, dave, 'summary', period).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe('REPORT_TOO_LARGE');
    expect(reads.histories).toBeLessThanOrEqual(10_000);
  });

  it('stops reading before its deadline and says REPORT_TOO_SLOW, having read only part of the period', async () => {
    const { deps, reads } = depsWith(grants(2000));
    // Each look at the clock is one second later: the report gets a handful of batches in.
    let ticks = 0;
    const clock = { now: () => new Date(NOW.getTime() + 1000 * ticks++) };
    const deadline = NOW.getTime() + REPORT_ANSWER_MARGIN_MS + 10_000;
    const error = await runReport({ ...deps, clock }, dave, 'summary', { ...period, deadline }).catch(
      (e: unknown) => e
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe('REPORT_TOO_SLOW');
    expect(reads.histories).toBeGreaterThan(0);
    expect(reads.histories).toBeLessThan(2000);
    // Without a deadline (the sandbox, benchmarks) the same report runs to the end.
    await expect(runReport({ ...deps, clock }, dave, 'width', period)).resolves.toMatchObject({ kind: 'width' });
  });

  it('stops at its deadline while paging through newer grants to reach a period in the past', async () => {
    const { deps, reads } = depsWith(grants(2000));
    let ticks = 0;
    const clock = { now: () => new Date(NOW.getTime() + 1000 * ticks++) };
    const deadline = NOW.getTime() + REPORT_ANSWER_MARGIN_MS + 10_000;
    // Every grant is newer than this period: the report reads pages and no history.
    const past = { from: '2025-01-01T00:00:00.000Z', to: '2025-01-31T00:00:00.000Z', deadline };
    const error = await runReport({ ...deps, clock }, dave, 'summary', past).catch((e: unknown) => e);
    expect((error as ValidationError).code).toBe('REPORT_TOO_SLOW');
    expect(reads.histories).toBe(0);
  });

  it('stops at its deadline when a read does not come back in time (the denials, here)', async () => {
    const { deps } = depsWith(grants(10));
    const clock = { now: () => new Date() };
    const hanging = { list: () => new Promise<never>(() => {}) };
    const deadline = Date.now() + REPORT_ANSWER_MARGIN_MS + 200;
    const error = await runReport({ ...deps, clock, denials: hanging } as unknown as BrokerDeps, dave, 'summary', {
      ...period,
      deadline,
    }).catch((e: unknown) => e);
    expect((error as ValidationError).code).toBe('REPORT_TOO_SLOW');
    expect((error as ValidationError).message).toContain('read 10 grants');
  });

  it("takes its deadline from the Lambda's remaining time at the HTTP edge", async () => {
    const { deps } = depsWith(grants(300));
    const handler = getReport.build({
      ...deps,
      directory: { groupsOf: async () => [] },
      authenticate: () => 'dave',
    } as unknown as HttpDeps);
    const event = {
      version: '2.0',
      routeKey: 'GET /reports/{kind}',
      rawPath: '/reports/width',
      rawQueryString: '',
      headers: {},
      pathParameters: { kind: 'width' },
      isBase64Encoded: false,
      requestContext: { http: { method: 'GET' } },
    } as unknown as HttpEvent;
    const late = await handler(event, { getRemainingTimeInMillis: () => REPORT_ANSWER_MARGIN_MS - 1 } as never);
    expect(late.statusCode).toBe(400);
    expect(JSON.parse(late.body).error.code).toBe('REPORT_TOO_SLOW');
    const inTime = await handler(event, { getRemainingTimeInMillis: () => 60_000 } as never);
    expect(inTime.statusCode).toBe(200);
  });
});
