import type { GrantActivity } from './activity.js';
import type { AuditEvent } from './auditChain.js';
import { AFTER_END_GRACE_SECONDS, CALL_OUTCOMES, noOutcomes } from './callOutcome.js';
import { matchesGlob } from './globCovers.js';
import type { Grant } from './grant.js';
import { END_EVENT_TYPES, endEventOf, killEffect, killNeeded } from './killEffect.js';
import { FirstRows, ValueCounts } from './reportTallies.js';

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
 * What the reports read of a grant, its events and its activity. A history holds only this
 * (reportHistory trims one; the folds below compile against these types, so they cannot read
 * anything it drops), and is folded into the reports and dropped as soon as it is read.
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
  /** Rows past the report's row limit, counted in the summary but not listed (docs/reports.md, "Memory"). */
  readonly rowsOmitted?: number;
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

/** The value below which `share` of the values lie (nearest rank); null for none. */
const percentile = (values: readonly number[], share: number): number | null => {
  const counts = new ValueCounts();
  for (const value of values) counts.add(value);
  return counts.percentile(share);
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

type ReportBody = Omit<Report, 'kind' | 'from' | 'to'>;

/** What a report is asked over, besides the grants and denials that stream through it. */
type ReportContext = Omit<ReportInput, 'grants' | 'denials'> & {
  /** Rows (and per-grant hints of one sort) a report keeps; the rest are counted (docs/reports.md, "Memory"). */
  readonly rowLimit: number;
};

/**
 * One report being built as grants stream through it: `add` folds one grant's history into running
 * totals and the first rows; `finish` gives the report. `key` places the grant in the report's
 * order (created first, then read first: orderKey), so rows come out in the same order whatever
 * order the grants were read in.
 */
interface ReportFold {
  add(g: GrantHistory, key: string): void;
  finish(denials: readonly DenialRecord[]): ReportBody;
}

/** A grant's place in a report: by creation time, then by the order it was read. */
const orderKey = (createdAt: string, read: number): string => `${createdAt}\u0000${String(read).padStart(12, '0')}`;
/** The key of the `index`th row a grant gives (its late calls, its exceptions). */
const within = (key: string, index: number): string => `${key}\u0000${String(index).padStart(6, '0')}`;

const keptRows = (rows: FirstRows<Row>): Pick<Report, 'rows' | 'rowsOmitted'> =>
  rows.omitted === 0 ? { rows: rows.rows() } : { rows: rows.rows(), rowsOmitted: rows.omitted };
/** Per-grant hints of one sort: the first ones, then how many more the rows or a shorter period show. */
const keptHints = (hints: FirstRows<string>, more: string): string[] =>
  hints.omitted === 0 ? hints.rows() : [...hints.rows(), `… and ${hints.omitted} more ${more}`];

/** Privilege width: concrete actions granted against actions used, per grant and per role. */
const widthFold = (context: ReportContext): ReportFold => {
  const rows = new FirstRows<Row>(context.rowLimit);
  const byRole = new Map<string, { granted: number; used: number; grants: number; first: string }>();
  const totals = { grants: 0, granted: 0, used: 0 };
  return {
    add(g, key) {
      if (!gotAccess(g)) return;
      const used = usedActions(g);
      const granted = g.grant.privilegeWidth;
      rows.push(key, {
        grantId: g.grant.id,
        requester: g.grant.requester,
        role: g.grant.roleId,
        granted,
        used,
        usedRatio: ratio(used, granted),
        usedOutsideScope: Object.keys(g.activity.actions).length - used,
      });
      const role = byRole.get(g.grant.roleId) ?? { granted: 0, used: 0, grants: 0, first: key };
      byRole.set(g.grant.roleId, {
        granted: role.granted + granted,
        used: role.used + used,
        grants: role.grants + 1,
        first: key < role.first ? key : role.first,
      });
      totals.grants++;
      totals.granted += granted;
      totals.used += used;
    },
    finish() {
      const roles = [...byRole].sort(([, a], [, b]) => (a.first < b.first ? -1 : 1));
      return {
        columns: ['grantId', 'requester', 'role', 'granted', 'used', 'usedRatio', 'usedOutsideScope'],
        ...keptRows(rows),
        summary: {
          ...totals,
          usedRatio: ratio(totals.used, totals.granted),
          ...Object.fromEntries(roles.map(([role, r]) => [`role:${role}`, `${r.used}/${r.granted} in ${r.grants}`])),
        },
        hints: roles
          .filter(([, r]) => r.granted > 0 && r.used / r.granted < 0.25 && r.grants >= 3)
          .map(
            ([role, r]) =>
              `${role}: ${r.used} of ${r.granted} granted actions used over ${r.grants} grants: narrow its task templates`
          ),
      };
    },
  };
};

/**
 * Duration: from the task's end (done, revoke, expiry) to the kill being in force, and how much of
 * the granted time was given back by ending early. A grant whose credentials had already expired
 * (or were never vended) needs no kill. Then whether the kill held: seconds from the kill to AWS's
 * first refusal of the grant's sessions (IAM propagation, in AWS), and grants whose sessions got a
 * call through after the kill (functions/domain/killEffect.ts).
 */
const timeToKillFold = (context: ReportContext): ReportFold => {
  const rows = new FirstRows<Row>(context.rowLimit);
  const killTimes = new ValueCounts();
  const propagation = new ValueCounts();
  const pending = new FirstRows<string>(context.rowLimit);
  const notHeld = new FirstRows<string>(context.rowLimit);
  const totals = { ended: 0, endedEarly: 0, secondsReturned: 0 };
  return {
    add(g, key) {
      const end = endEventOf(g.events);
      const effect = killEffect(g.events, g.activity);
      if (end === undefined || effect === undefined) return;
      const expiresAt = g.grant.expiresAt;
      const endedBy = end.type.replace('grant.', '');
      const kill = effect.appliedAt !== null ? 'applied' : killNeeded(end) ? 'pending' : 'not needed';
      const secondsToKill = effect.appliedAt === null ? null : seconds(end.at, effect.appliedAt);
      const secondsReturned = expiresAt === undefined ? 0 : Math.max(0, seconds(end.at, expiresAt));
      rows.push(key, {
        grantId: g.grant.id,
        requester: g.grant.requester,
        role: g.grant.roleId,
        endedBy,
        endedAt: end.at,
        kill,
        secondsToKill,
        secondsReturned,
        secondsToFirstRefusal: effect.propagationSeconds,
        killHeld: effect.verdict,
      });
      totals.ended++;
      if (endedBy !== 'expired' && secondsReturned > 0) totals.endedEarly++;
      totals.secondsReturned += secondsReturned;
      if (secondsToKill !== null) killTimes.add(secondsToKill);
      if (effect.propagationSeconds !== null) propagation.add(effect.propagationSeconds);
      if (kill === 'pending') {
        pending.push(key, `${g.grant.id}: ended ${end.at} but its kill is not recorded yet: check the sweeper`);
      }
      if (effect.verdict === 'did-not-hold') {
        notHeld.push(
          key,
          `${g.grant.id}: a call got through more than ${AFTER_END_GRACE_SECONDS} s after its kill was in force: the kill did not hold`
        );
      }
    },
    finish() {
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
        ...keptRows(rows),
        summary: {
          ended: totals.ended,
          endedEarly: totals.endedEarly,
          killsApplied: killTimes.count,
          killsPending: pending.total,
          medianSecondsToKill: killTimes.percentile(0.5),
          maxSecondsToKill: killTimes.percentile(1),
          secondsReturned: totals.secondsReturned,
          killsSeenRefusing: propagation.count,
          medianSecondsToFirstRefusal: propagation.percentile(0.5),
          p95SecondsToFirstRefusal: propagation.percentile(0.95),
          maxSecondsToFirstRefusal: propagation.percentile(1),
          grantsUsedAfterKill: notHeld.total,
        },
        hints: [
          ...keptHints(pending, 'kills not recorded yet (rows with kill=pending)'),
          ...keptHints(notHeld, 'kills that did not hold (rows with killHeld=did-not-hold)'),
        ],
      };
    },
  };
};

/**
 * Calls made after their task ended (beyond the grace), with what AWS answered: refused ones are
 * the kill at work; one that succeeded should not exist.
 */
const afterEndFold = (context: ReportContext): ReportFold => {
  const rows = new FirstRows<Row>(context.rowLimit);
  const outcomes = noOutcomes();
  const gotThrough = new FirstRows<string>(context.rowLimit);
  const totals = { grants: 0, calls: 0 };
  return {
    add(g, key) {
      if (g.activity.afterEndCount === 0) return;
      for (const [i, call] of g.activity.afterEnd.entries()) {
        rows.push(within(key, i), {
          grantId: g.grant.id,
          requester: g.grant.requester,
          role: g.grant.roleId,
          endedAt: g.grant.endedAt ?? null,
          action: call.action,
          at: call.at,
          secondsAfterEnd: g.grant.endedAt === undefined ? null : seconds(g.grant.endedAt, call.at),
          outcome: call.outcome,
          errorCode: call.errorCode ?? null,
        });
      }
      // The store keeps a grant's first calls after its end one by one (LATE_CALLS_KEPT), the rest
      // only counted: the report says they are left out, and `jit audit` counts them all.
      rows.passOver(g.activity.afterEndCount - g.activity.afterEnd.length);
      totals.grants++;
      totals.calls += g.activity.afterEndCount;
      for (const outcome of CALL_OUTCOMES) outcomes[outcome] += g.activity.afterEndOutcomes[outcome];
      if (g.activity.afterEndOutcomes.succeeded > 0) {
        gotThrough.push(
          key,
          `${g.grant.id} (${g.grant.requester} on ${g.grant.roleId}): ${g.activity.afterEndOutcomes.succeeded} call(s) succeeded after it ended: investigate`
        );
      }
    },
    finish() {
      return {
        columns: ['grantId', 'requester', 'role', 'endedAt', 'action', 'at', 'secondsAfterEnd', 'outcome', 'errorCode'],
        ...keptRows(rows),
        summary: { ...totals, ...outcomes, grantsWithSuccess: gotThrough.total },
        hints: keptHints(gotThrough, 'grants with a call that succeeded after their end (rows with outcome=succeeded)'),
      };
    },
  };
};

const periodDays = (context: ReportContext): number =>
  Math.max(1, Math.round((Date.parse(context.to) - Date.parse(context.from)) / DAY_MS));

/**
 * Repeated elevations of one principal to one role: a standing narrow role may serve better. It
 * holds one entry per person and role (with the actions they used), not per grant.
 */
const reuseFold = (context: ReportContext): ReportFold => {
  const pairs = new Map<
    string,
    { requester: string; role: string; elevations: number; used: Set<string>; first: string }
  >();
  return {
    add(g, key) {
      if (!gotAccess(g)) return;
      const id = `${g.grant.requester}\u0000${g.grant.roleId}`;
      const pair = pairs.get(id) ?? {
        requester: g.grant.requester,
        role: g.grant.roleId,
        elevations: 0,
        used: new Set<string>(),
        first: key,
      };
      pair.elevations++;
      for (const action of Object.keys(g.activity.actions)) pair.used.add(action);
      if (key < pair.first) pair.first = key;
      pairs.set(id, pair);
    },
    finish() {
      const days = periodDays(context);
      const rows = [...pairs.values()]
        .sort(
          (a, b) =>
            b.elevations - a.elevations || a.requester.localeCompare(b.requester) || (a.first < b.first ? -1 : 1)
        )
        .map((pair) => ({
          requester: pair.requester,
          role: pair.role,
          elevations: pair.elevations,
          days,
          actionsUsed: [...pair.used].sort().join(' '),
          redesign: pair.elevations >= context.reuseThreshold,
        }));
      return {
        columns: ['requester', 'role', 'elevations', 'days', 'actionsUsed', 'redesign'],
        rows,
        summary: {
          pairs: rows.length,
          redesignCandidates: rows.filter((r) => r.redesign).length,
          threshold: context.reuseThreshold,
        },
        hints: rows
          .filter((r) => r.redesign)
          .map(
            (r) =>
              `${r.requester} elevated to ${r.role} ${r.elevations} times in ${r.days} day${r.days === 1 ? '' : 's'}: consider a standing narrow role` +
              (r.actionsUsed === '' ? '' : ` (actions used: ${r.actionsUsed})`)
          ),
      };
    },
  };
};

/** Exceptions in time order; at the same time, grants' (in report order) before policy denials. */
const exceptionKey = (at: string, key: string): string => `${at}\u0001${key}`;
const denialKey = (at: string, index: number): string => `${at}\u0002${String(index).padStart(12, '0')}`;

/**
 * Exceptions to the normal path: break-glass (and whether security reviewed it), extensions,
 * overrides (security revoking a running grant), denials (by policy at request time, recorded
 * by requestGrant; by approvers, from the audit chain), and grants that may outlive their kill
 * (their task names an action the guards would deny: docs/vending.md).
 */
const exceptionsFold = (context: ReportContext): ReportFold => {
  const rows = new FirstRows<Row>(context.rowLimit);
  const counts = { 'break-glass': 0, 'may-outlive-kill': 0, extension: 0, override: 0, denial: 0 };
  const openReviews = new FirstRows<string>(context.rowLimit);
  const outlivingUsed = new FirstRows<string>(context.rowLimit);
  let extensionRequests = 0;
  return {
    add(g, key) {
      const base = { grantId: g.grant.id, requester: g.grant.requester, role: g.grant.roleId };
      let index = 0;
      const push = (kind: keyof typeof counts, at: string, detail: string) => {
        counts[kind]++;
        rows.push(exceptionKey(at, within(key, index++)), { ...base, kind, at, detail });
      };
      if (g.grant.breakGlass) {
        const reviewed = g.grant.review?.reviewedBy;
        push(
          'break-glass',
          g.grant.createdAt,
          `${g.grant.ticket ?? 'no ticket'}; ${reviewed ? `reviewed by ${reviewed}` : 'review open'}`
        );
        if (reviewed === undefined) {
          openReviews.push(
            key,
            `${g.grant.id}: break-glass by ${g.grant.requester} awaits security's review (jit review)`
          );
        }
      }
      const outliving = g.grant.mayOutliveKill ?? [];
      if (outliving.length > 0) {
        const approvedBy = g.grant.approvals.map((a) => a.by).join(', ');
        const decision = gotAccess(g)
          ? `approved${approvedBy === '' ? ' by policy' : ` by ${approvedBy}`}`
          : g.grant.state;
        push('may-outlive-kill', g.grant.createdAt, `names ${outliving.join(', ')}; ${decision}`);
        if (gotAccess(g)) {
          outlivingUsed.push(
            key,
            `${g.grant.id}: could keep access past its end (names ${outliving.join(', ')}): ` +
              `look for sessions or credentials it created (jit audit ${g.grant.id} --cloudtrail)`
          );
        }
      }
      for (const e of g.events.filter((e) => e.type === 'grant.extended')) {
        push('extension', e.at, `approved by ${e.actor}`);
      }
      for (const e of g.events.filter((e) => e.type === 'grant.revoked')) {
        push('override', e.at, `revoked by ${e.actor}: ${String(e.details.reason ?? '')}`);
      }
      for (const e of g.events.filter((e) => e.type === 'grant.denied')) push('denial', e.at, `denied by ${e.actor}`);
      extensionRequests += countOf(g, 'grant.extension-requested');
    },
    finish(denials) {
      for (const [i, d] of denials.entries()) {
        counts.denial++;
        rows.push(denialKey(d.at, i), {
          grantId: null,
          requester: d.requester,
          role: d.roleId,
          kind: 'denial',
          at: d.at,
          detail: `policy ${d.forbiddenBy.join(', ') || '(no permit)'}${d.breakGlass ? ' (break-glass)' : ''}`,
        });
      }
      return {
        columns: ['kind', 'at', 'grantId', 'requester', 'role', 'detail'],
        ...keptRows(rows),
        summary: {
          breakGlass: counts['break-glass'],
          breakGlassUnreviewed: openReviews.total,
          extensions: counts.extension,
          overrides: counts.override,
          denials: counts.denial,
          mayOutliveKill: counts['may-outlive-kill'],
          extensionRequests,
        },
        hints: [
          ...keptHints(openReviews, "break-glass grants await security's review (jit review)"),
          ...keptHints(outlivingUsed, 'grants could keep access past their end (rows with kind=may-outlive-kill)'),
        ],
      };
    },
  };
};

interface DayTally {
  requested: number;
  granted: number;
  width: number;
  used: number;
  accessSeconds: number;
  breakGlass: number;
  denials: number;
  afterEndCalls: number;
}
const emptyDay = (): DayTally => ({
  requested: 0,
  granted: 0,
  width: 0,
  used: 0,
  accessSeconds: 0,
  breakGlass: 0,
  denials: 0,
  afterEndCalls: 0,
});

/**
 * Per day of the period: how much access was taken, how wide, how much of it used, and the
 * exceptions. It holds one tally per day (at most 366), not per grant.
 */
const trendsFold = (): ReportFold => {
  const days = new Map<string, DayTally>();
  const dayOf = (at: string): DayTally => {
    const day = days.get(at.slice(0, 10)) ?? emptyDay();
    days.set(at.slice(0, 10), day);
    return day;
  };
  const totals = { requested: 0, granted: 0 };
  return {
    add(g) {
      const day = dayOf(g.grant.createdAt);
      day.requested++;
      totals.requested++;
      if (g.grant.breakGlass) day.breakGlass++;
      if (g.grant.state === 'DENIED') day.denials++;
      day.afterEndCalls += g.activity.afterEndCount;
      if (!gotAccess(g)) return;
      totals.granted++;
      day.granted++;
      day.width += g.grant.privilegeWidth;
      day.used += usedActions(g);
      const end = g.grant.endedAt ?? g.grant.expiresAt;
      if (end !== undefined && g.grant.approvedAt !== undefined) day.accessSeconds += seconds(g.grant.approvedAt, end);
    },
    finish(denials) {
      for (const d of denials) dayOf(d.at).denials++;
      const rows = [...days]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([day, t]) => ({
          day,
          requested: t.requested,
          granted: t.granted,
          accessHours: Math.round((t.accessSeconds / 3600) * 100) / 100,
          usedRatio: ratio(t.used, t.width),
          breakGlass: t.breakGlass,
          denials: t.denials,
          afterEndCalls: t.afterEndCalls,
        }));
      return {
        columns: ['day', 'requested', 'granted', 'accessHours', 'usedRatio', 'breakGlass', 'denials', 'afterEndCalls'],
        rows,
        summary: { days: rows.length, ...totals },
        hints: [],
      };
    },
  };
};

const FOLDS: Readonly<Record<ReportKind, (context: ReportContext) => ReportFold>> = {
  width: widthFold,
  'time-to-kill': timeToKillFold,
  'after-end': afterEndFold,
  reuse: reuseFold,
  exceptions: exceptionsFold,
  trends: trendsFold,
};

/**
 * Reports of several kinds built together as one stream of grants goes by: `add` each history
 * (in any order), then `finish` with the period's policy denials. Memory is the running totals,
 * the first `rowLimit` rows of each report, and one entry per role, person-and-role or day: not
 * the grants (docs/reports.md, "Memory").
 */
const startReports = (kinds: readonly ReportKind[], context: ReportContext) => {
  const folds = kinds.map((kind) => ({ kind, fold: FOLDS[kind](context) }));
  let read = 0;
  return {
    add(history: GrantHistory): void {
      const key = orderKey(history.grant.createdAt, read++);
      for (const { fold } of folds) fold.add(history, key);
    },
    finish(denials: readonly DenialRecord[]): Report[] {
      return folds.map(({ kind, fold }) => ({ kind, from: context.from, to: context.to, ...fold.finish(denials) }));
    },
  };
};

/** One report over histories in memory, every row kept unless `rowLimit` says otherwise. */
const buildReport = (kind: ReportKind, input: ReportInput, rowLimit = Number.POSITIVE_INFINITY): Report => {
  const run = startReports([kind], { from: input.from, to: input.to, reuseThreshold: input.reuseThreshold, rowLimit });
  for (const history of input.grants) run.add(history);
  return run.finish(input.denials)[0] as Report;
};

export type { Cell, DenialRecord, GrantHistory, Report, ReportContext, ReportInput, ReportKind, Row };
export { buildReport, DEFAULT_REUSE_THRESHOLD, percentile, REPORT_KINDS, reportHistory, startReports };
