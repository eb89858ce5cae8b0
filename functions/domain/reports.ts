import type { GrantActivity } from './activity.js';
import type { AuditEvent } from './auditChain.js';
import { AFTER_END_GRACE_SECONDS, CALL_OUTCOMES, type CallOutcome } from './callOutcome.js';
import { matchesGlob } from './globCovers.js';
import type { Grant } from './grant.js';
import { END_EVENT_TYPES, endEventOf, killEffect, killNeeded } from './killEffect.js';

/**
 * Effectiveness reports: is JIT reducing exposure? Pure functions over what the store holds for a
 * period — grants, their audit events, their recorded activity, and policy denials — so the maths
 * is tested table by table (test/unit/reports.test.ts) and nothing here reads the clock or a table.
 */

const REPORT_KINDS = ['width', 'time-to-kill', 'after-end', 'reuse', 'exceptions', 'trends'] as const;
type ReportKind = (typeof REPORT_KINDS)[number];

/** A request the policies refused: nothing else is stored for it (see docs/reports.md). */
interface DenialRecord {
  readonly at: string;
  readonly requester: string;
  readonly roleId: string;
  readonly breakGlass: boolean;
  readonly forbiddenBy: readonly string[];
}

/**
 * What the reports read of a grant, its events and its activity. A history holds only this, so a
 * long period's histories fit in memory (reportHistory trims one; the builders below compile
 * against these types, so they cannot read anything it drops).
 */
type ReportedGrant = Pick<
  Grant,
  | 'id'
  | 'requester'
  | 'roleId'
  | 'state'
  | 'createdAt'
  | 'approvedAt'
  | 'expiresAt'
  | 'endedAt'
  | 'privilegeWidth'
  | 'breakGlass'
  | 'review'
  | 'mayOutliveKill'
  | 'approvals'
  | 'ticket'
> & { readonly scope: Pick<Grant['scope'], 'actions'> };
type ReportedEvent = Pick<AuditEvent, 'type' | 'at' | 'actor' | 'details'>;
type ReportedActivity = Pick<
  GrantActivity,
  'actions' | 'afterEndCount' | 'afterEnd' | 'afterEndOutcomes' | 'firstRefusedSinceEndAt' | 'lastSucceededAfterEndAt'
>;

interface GrantHistory {
  readonly grant: ReportedGrant;
  readonly events: readonly ReportedEvent[];
  readonly activity: ReportedActivity;
}

interface ReportInput {
  readonly from: string;
  readonly to: string;
  readonly grants: readonly GrantHistory[];
  readonly denials: readonly DenialRecord[];
  /** Elevations of one principal to one role in the period from which a redesign is suggested. */
  readonly reuseThreshold: number;
}

type Cell = string | number | boolean | null;
type Row = Readonly<Record<string, Cell>>;

/** Every report has the same shape, so one renderer prints any of them as a table, JSON or CSV. */
interface Report {
  readonly kind: ReportKind;
  readonly from: string;
  readonly to: string;
  readonly columns: readonly string[];
  readonly rows: readonly Row[];
  readonly summary: Readonly<Record<string, Cell>>;
  readonly hints: readonly string[];
}

/** The default reuse threshold: more than weekly elevation in a 30-day period. */
const DEFAULT_REUSE_THRESHOLD = 5;
const DAY_MS = 24 * 3600 * 1000;

const seconds = (fromIso: string, toIso: string): number =>
  Math.round((Date.parse(toIso) - Date.parse(fromIso)) / 1000);
const ratio = (part: number, whole: number): number | null =>
  whole === 0 ? null : Math.round((part / whole) * 100) / 100;

/** The value below which `share` of the sorted values lie (nearest rank); null for none. */
const percentile = (values: readonly number[], share: number): number | null => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(share * sorted.length) - 1)] as number;
};

const gotAccess = (g: GrantHistory): boolean => g.grant.approvedAt !== undefined;
/**
 * Distinct actions used that the grant's scope allows. Calls outside it (sts:GetCallerIdentity needs
 * no permission; other attempts were refused) are counted apart, so `used` never exceeds `granted`.
 */
const usedInScope = (g: GrantHistory): string[] =>
  Object.keys(g.activity.actions).filter((action) =>
    g.grant.scope.actions.some((pattern) => matchesGlob(pattern, action, { caseInsensitive: true }))
  );
const usedActions = (g: GrantHistory): number => usedInScope(g).length;
const countOf = (g: GrantHistory, type: string): number => g.events.filter((e) => e.type === type).length;

/** The audit events any report reads; a history keeps only these. */
const REPORTED_EVENTS = new Set([
  ...END_EVENT_TYPES,
  'grant.sessions-killed',
  'grant.extended',
  'grant.extension-requested',
  'grant.denied',
]);

/** A grant's history as the reports need it, and no more (see ReportedGrant). */
const reportHistory = (grant: Grant, events: readonly AuditEvent[], activity: GrantActivity): GrantHistory => ({
  grant: {
    id: grant.id,
    requester: grant.requester,
    roleId: grant.roleId,
    state: grant.state,
    createdAt: grant.createdAt,
    privilegeWidth: grant.privilegeWidth,
    approvals: grant.approvals,
    scope: { actions: grant.scope.actions },
    ...(grant.approvedAt === undefined ? {} : { approvedAt: grant.approvedAt }),
    ...(grant.expiresAt === undefined ? {} : { expiresAt: grant.expiresAt }),
    ...(grant.endedAt === undefined ? {} : { endedAt: grant.endedAt }),
    ...(grant.breakGlass === undefined ? {} : { breakGlass: grant.breakGlass }),
    ...(grant.review === undefined ? {} : { review: grant.review }),
    ...(grant.mayOutliveKill === undefined ? {} : { mayOutliveKill: grant.mayOutliveKill }),
    ...(grant.ticket === undefined ? {} : { ticket: grant.ticket }),
  },
  events: events
    .filter((e) => REPORTED_EVENTS.has(e.type))
    .map((e) => ({ type: e.type, at: e.at, actor: e.actor, details: e.details })),
  activity: {
    actions: activity.actions,
    afterEndCount: activity.afterEndCount,
    afterEnd: activity.afterEnd,
    afterEndOutcomes: activity.afterEndOutcomes,
    ...(activity.firstRefusedSinceEndAt === undefined
      ? {}
      : { firstRefusedSinceEndAt: activity.firstRefusedSinceEndAt }),
    ...(activity.lastSucceededAfterEndAt === undefined
      ? {}
      : { lastSucceededAfterEndAt: activity.lastSucceededAfterEndAt }),
  },
});

/** Privilege width: concrete actions granted against actions used, per grant and per role. */
const widthReport = (input: ReportInput): Omit<Report, 'kind' | 'from' | 'to'> => {
  const rows = input.grants.filter(gotAccess).map((g) => ({
    grantId: g.grant.id,
    requester: g.grant.requester,
    role: g.grant.roleId,
    granted: g.grant.privilegeWidth,
    used: usedActions(g),
    usedRatio: ratio(usedActions(g), g.grant.privilegeWidth),
    usedOutsideScope: Object.keys(g.activity.actions).length - usedActions(g),
  }));
  const byRole = new Map<string, { granted: number; used: number; grants: number }>();
  for (const row of rows) {
    const role = byRole.get(row.role) ?? { granted: 0, used: 0, grants: 0 };
    byRole.set(row.role, { granted: role.granted + row.granted, used: role.used + row.used, grants: role.grants + 1 });
  }
  const granted = rows.reduce((sum, r) => sum + r.granted, 0);
  const used = rows.reduce((sum, r) => sum + r.used, 0);
  return {
    columns: ['grantId', 'requester', 'role', 'granted', 'used', 'usedRatio', 'usedOutsideScope'],
    rows,
    summary: {
      grants: rows.length,
      granted,
      used,
      usedRatio: ratio(used, granted),
      ...Object.fromEntries([...byRole].map(([role, r]) => [`role:${role}`, `${r.used}/${r.granted} in ${r.grants}`])),
    },
    hints: [...byRole]
      .filter(([, r]) => r.granted > 0 && r.used / r.granted < 0.25 && r.grants >= 3)
      .map(
        ([role, r]) =>
          `${role}: ${r.used} of ${r.granted} granted actions used over ${r.grants} grants: narrow its task templates`
      ),
  };
};

/**
 * Duration: from the task's end (done, revoke, expiry) to the kill being in force, and how much of
 * the granted time was given back by ending early. A grant whose credentials had already expired
 * (or were never vended) needs no kill. Then whether the kill held: seconds from the kill to AWS's
 * first refusal of the grant's sessions (IAM propagation, in AWS), and grants whose sessions got a
 * call through after the kill (functions/domain/killEffect.ts).
 */
const timeToKillReport = (input: ReportInput): Omit<Report, 'kind' | 'from' | 'to'> => {
  const rows = input.grants.flatMap((g) => {
    const end = endEventOf(g.events);
    const effect = killEffect(g.events, g.activity);
    if (end === undefined || effect === undefined) return [];
    const expiresAt = g.grant.expiresAt;
    return [
      {
        grantId: g.grant.id,
        requester: g.grant.requester,
        role: g.grant.roleId,
        endedBy: end.type.replace('grant.', ''),
        endedAt: end.at,
        kill: effect.appliedAt !== null ? 'applied' : killNeeded(end) ? 'pending' : 'not needed',
        secondsToKill: effect.appliedAt === null ? null : seconds(end.at, effect.appliedAt),
        secondsReturned: expiresAt === undefined ? 0 : Math.max(0, seconds(end.at, expiresAt)),
        secondsToFirstRefusal: effect.propagationSeconds,
        killHeld: effect.verdict,
      },
    ];
  });
  const killTimes = rows.flatMap((r) => (r.secondsToKill === null ? [] : [r.secondsToKill]));
  const propagation = rows.flatMap((r) => (r.secondsToFirstRefusal === null ? [] : [r.secondsToFirstRefusal]));
  const pending = rows.filter((r) => r.kill === 'pending');
  const notHeld = rows.filter((r) => r.killHeld === 'did-not-hold');
  return {
    columns: [
      'grantId',
      'requester',
      'role',
      'endedBy',
      'endedAt',
      'kill',
      'secondsToKill',
      'secondsReturned',
      'secondsToFirstRefusal',
      'killHeld',
    ],
    rows,
    summary: {
      ended: rows.length,
      endedEarly: rows.filter((r) => r.endedBy !== 'expired' && r.secondsReturned > 0).length,
      killsApplied: killTimes.length,
      killsPending: pending.length,
      medianSecondsToKill: percentile(killTimes, 0.5),
      maxSecondsToKill: percentile(killTimes, 1),
      secondsReturned: rows.reduce((sum, r) => sum + r.secondsReturned, 0),
      killsSeenRefusing: propagation.length,
      medianSecondsToFirstRefusal: percentile(propagation, 0.5),
      p95SecondsToFirstRefusal: percentile(propagation, 0.95),
      maxSecondsToFirstRefusal: percentile(propagation, 1),
      grantsUsedAfterKill: notHeld.length,
    },
    hints: [
      ...pending.map((r) => `${r.grantId}: ended ${r.endedAt} but its kill is not recorded yet: check the sweeper`),
      ...notHeld.map(
        (r) =>
          `${r.grantId}: a call got through more than ${AFTER_END_GRACE_SECONDS} s after its kill was in force: the kill did not hold`
      ),
    ],
  };
};

/**
 * Calls made after their task ended (beyond the grace), with what AWS answered: refused ones are
 * the kill at work; one that succeeded should not exist.
 */
const afterEndReport = (input: ReportInput): Omit<Report, 'kind' | 'from' | 'to'> => {
  const late = input.grants.filter((g) => g.activity.afterEndCount > 0);
  const rows = late.flatMap((g) =>
    g.activity.afterEnd.map((call) => ({
      grantId: g.grant.id,
      requester: g.grant.requester,
      role: g.grant.roleId,
      endedAt: g.grant.endedAt ?? null,
      action: call.action,
      at: call.at,
      secondsAfterEnd: g.grant.endedAt === undefined ? null : seconds(g.grant.endedAt, call.at),
      outcome: call.outcome,
      errorCode: call.errorCode ?? null,
    }))
  );
  const total = (outcome: CallOutcome) => late.reduce((sum, g) => sum + g.activity.afterEndOutcomes[outcome], 0);
  const gotThrough = late.filter((g) => g.activity.afterEndOutcomes.succeeded > 0);
  return {
    columns: ['grantId', 'requester', 'role', 'endedAt', 'action', 'at', 'secondsAfterEnd', 'outcome', 'errorCode'],
    rows,
    summary: {
      grants: late.length,
      calls: late.reduce((sum, g) => sum + g.activity.afterEndCount, 0),
      ...Object.fromEntries(CALL_OUTCOMES.map((o) => [o, total(o)])),
      grantsWithSuccess: gotThrough.length,
    },
    hints: gotThrough.map(
      (g) =>
        `${g.grant.id} (${g.grant.requester} on ${g.grant.roleId}): ${g.activity.afterEndOutcomes.succeeded} call(s) succeeded after it ended: investigate`
    ),
  };
};

const periodDays = (input: ReportInput): number =>
  Math.max(1, Math.round((Date.parse(input.to) - Date.parse(input.from)) / DAY_MS));

/** Repeated elevations of one principal to one role: a standing narrow role may serve better. */
const reuseReport = (input: ReportInput): Omit<Report, 'kind' | 'from' | 'to'> => {
  const pairs = new Map<string, GrantHistory[]>();
  for (const g of input.grants.filter(gotAccess)) {
    const key = `${g.grant.requester}\u0000${g.grant.roleId}`;
    pairs.set(key, [...(pairs.get(key) ?? []), g]);
  }
  const days = periodDays(input);
  const rows = [...pairs.values()]
    .map((grants) => {
      const used = new Set(grants.flatMap((g) => Object.keys(g.activity.actions)));
      const first = grants[0] as GrantHistory;
      return {
        requester: first.grant.requester,
        role: first.grant.roleId,
        elevations: grants.length,
        days,
        actionsUsed: [...used].sort().join(' '),
        redesign: grants.length >= input.reuseThreshold,
      };
    })
    .sort((a, b) => b.elevations - a.elevations || a.requester.localeCompare(b.requester));
  return {
    columns: ['requester', 'role', 'elevations', 'days', 'actionsUsed', 'redesign'],
    rows,
    summary: {
      pairs: rows.length,
      redesignCandidates: rows.filter((r) => r.redesign).length,
      threshold: input.reuseThreshold,
    },
    hints: rows
      .filter((r) => r.redesign)
      .map(
        (r) =>
          `${r.requester} elevated to ${r.role} ${r.elevations} times in ${r.days} day${r.days === 1 ? '' : 's'}: consider a standing narrow role` +
          (r.actionsUsed === '' ? '' : ` (actions used: ${r.actionsUsed})`)
      ),
  };
};

/**
 * Exceptions to the normal path: break-glass (and whether security reviewed it), extensions,
 * overrides (security revoking a running grant), denials (by policy at request time, recorded
 * by requestGrant; by approvers, from the audit chain), and grants that may outlive their kill
 * (their task names an action the guards would deny: docs/vending.md).
 */
const exceptionsReport = (input: ReportInput): Omit<Report, 'kind' | 'from' | 'to'> => {
  const rows: Row[] = [];
  for (const g of input.grants) {
    const base = { grantId: g.grant.id, requester: g.grant.requester, role: g.grant.roleId };
    if (g.grant.breakGlass) {
      const reviewed = g.grant.review?.reviewedBy;
      rows.push({
        ...base,
        kind: 'break-glass',
        at: g.grant.createdAt,
        detail: `${g.grant.ticket ?? 'no ticket'}; ${reviewed ? `reviewed by ${reviewed}` : 'review open'}`,
      });
    }
    const outliving = g.grant.mayOutliveKill ?? [];
    if (outliving.length > 0) {
      const approvedBy = g.grant.approvals.map((a) => a.by).join(', ');
      const decision = gotAccess(g)
        ? `approved${approvedBy === '' ? ' by policy' : ` by ${approvedBy}`}`
        : g.grant.state;
      rows.push({
        ...base,
        kind: 'may-outlive-kill',
        at: g.grant.createdAt,
        detail: `names ${outliving.join(', ')}; ${decision}`,
      });
    }
    for (const e of g.events.filter((e) => e.type === 'grant.extended')) {
      rows.push({ ...base, kind: 'extension', at: e.at, detail: `approved by ${e.actor}` });
    }
    for (const e of g.events.filter((e) => e.type === 'grant.revoked')) {
      rows.push({
        ...base,
        kind: 'override',
        at: e.at,
        detail: `revoked by ${e.actor}: ${String(e.details.reason ?? '')}`,
      });
    }
    for (const e of g.events.filter((e) => e.type === 'grant.denied')) {
      rows.push({ ...base, kind: 'denial', at: e.at, detail: `denied by ${e.actor}` });
    }
  }
  for (const d of input.denials) {
    rows.push({
      grantId: null,
      requester: d.requester,
      role: d.roleId,
      kind: 'denial',
      at: d.at,
      detail: `policy ${d.forbiddenBy.join(', ') || '(no permit)'}${d.breakGlass ? ' (break-glass)' : ''}`,
    });
  }
  rows.sort((a, b) => String(a.at).localeCompare(String(b.at)));
  const count = (kind: string) => rows.filter((r) => r.kind === kind).length;
  const openReviews = input.grants.filter((g) => g.grant.breakGlass && g.grant.review?.reviewedBy === undefined);
  const outlivingUsed = input.grants.filter((g) => (g.grant.mayOutliveKill?.length ?? 0) > 0 && gotAccess(g));
  return {
    columns: ['kind', 'at', 'grantId', 'requester', 'role', 'detail'],
    rows,
    summary: {
      breakGlass: count('break-glass'),
      breakGlassUnreviewed: openReviews.length,
      extensions: count('extension'),
      overrides: count('override'),
      denials: count('denial'),
      mayOutliveKill: count('may-outlive-kill'),
      extensionRequests: input.grants.reduce((sum, g) => sum + countOf(g, 'grant.extension-requested'), 0),
    },
    hints: [
      ...openReviews.map(
        (g) => `${g.grant.id}: break-glass by ${g.grant.requester} awaits security's review (jit review)`
      ),
      ...outlivingUsed.map(
        (g) =>
          `${g.grant.id}: could keep access past its end (names ${g.grant.mayOutliveKill?.join(', ')}): ` +
          `look for sessions or credentials it created (jit audit ${g.grant.id} --cloudtrail)`
      ),
    ],
  };
};

/** Per day of the period: how much access was taken, how wide, how much of it used, and the exceptions. */
const trendsReport = (input: ReportInput): Omit<Report, 'kind' | 'from' | 'to'> => {
  const days = new Map<string, GrantHistory[]>();
  for (const g of input.grants) {
    const day = g.grant.createdAt.slice(0, 10);
    days.set(day, [...(days.get(day) ?? []), g]);
  }
  const denialsByDay = new Map<string, number>();
  for (const d of input.denials) denialsByDay.set(d.at.slice(0, 10), (denialsByDay.get(d.at.slice(0, 10)) ?? 0) + 1);
  const allDays = [...new Set([...days.keys(), ...denialsByDay.keys()])].sort();
  const rows = allDays.map((day) => {
    const grants = days.get(day) ?? [];
    const active = grants.filter(gotAccess);
    const granted = active.reduce((sum, g) => sum + g.grant.privilegeWidth, 0);
    const used = active.reduce((sum, g) => sum + usedActions(g), 0);
    const hours = active.reduce((sum, g) => {
      const end = g.grant.endedAt ?? g.grant.expiresAt;
      return end === undefined || g.grant.approvedAt === undefined
        ? sum
        : sum + seconds(g.grant.approvedAt, end) / 3600;
    }, 0);
    return {
      day,
      requested: grants.length,
      granted: active.length,
      accessHours: Math.round(hours * 100) / 100,
      usedRatio: ratio(used, granted),
      breakGlass: grants.filter((g) => g.grant.breakGlass).length,
      denials: (denialsByDay.get(day) ?? 0) + grants.filter((g) => g.grant.state === 'DENIED').length,
      afterEndCalls: grants.reduce((sum, g) => sum + g.activity.afterEndCount, 0),
    };
  });
  return {
    columns: ['day', 'requested', 'granted', 'accessHours', 'usedRatio', 'breakGlass', 'denials', 'afterEndCalls'],
    rows,
    summary: { days: rows.length, requested: input.grants.length, granted: input.grants.filter(gotAccess).length },
    hints: [],
  };
};

const BUILDERS: Readonly<Record<ReportKind, (input: ReportInput) => Omit<Report, 'kind' | 'from' | 'to'>>> = {
  width: widthReport,
  'time-to-kill': timeToKillReport,
  'after-end': afterEndReport,
  reuse: reuseReport,
  exceptions: exceptionsReport,
  trends: trendsReport,
};

const buildReport = (kind: ReportKind, input: ReportInput): Report => ({
  kind,
  from: input.from,
  to: input.to,
  ...BUILDERS[kind](input),
});

export type { Cell, DenialRecord, GrantHistory, Report, ReportInput, ReportKind, Row };
export { buildReport, DEFAULT_REUSE_THRESHOLD, percentile, REPORT_KINDS, reportHistory };
