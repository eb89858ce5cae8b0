import { type Caller, isAmong } from '../domain/caller.js';
import { ForbiddenError, ValidationError } from '../domain/errors.js';
import {
  buildReport,
  DEFAULT_REUSE_THRESHOLD,
  type GrantHistory,
  REPORT_KINDS,
  type Report,
  type ReportKind,
  reportHistory,
} from '../domain/reports.js';
import { quoteInput } from '../domain/untrustedText.js';
import type { BrokerDeps } from './deps.js';

const DAY_MS = 24 * 3600 * 1000;
const DEFAULT_PERIOD_DAYS = 30;
const MAX_PERIOD_DAYS = 366;
/**
 * A report reads three items per grant (~2.1 RRU: docs/scale.md); past this many grants, ask for a
 * shorter period instead. Memory is not the bound (a history is trimmed as it is read): time is.
 */
const MAX_GRANTS_PER_REPORT = 10_000;
/** Grants whose history is read at once: keeps a report from bursting the table's capacity. */
const READ_CONCURRENCY = 16;

interface ReportRequest {
  readonly from?: string;
  readonly to?: string;
  readonly reuseThreshold?: number;
}

/** `summary` is every kind at once, over one read of the period. */
type ReportName = ReportKind | 'summary';

const parseKind = (kind: string): ReportName => {
  if (kind === 'summary' || (REPORT_KINDS as readonly string[]).includes(kind)) return kind as ReportName;
  throw new ValidationError(
    'UNKNOWN_REPORT',
    `report ${quoteInput(kind)} does not exist; reports: summary, ${REPORT_KINDS.join(', ')}`
  );
};

const periodOf = (request: ReportRequest, now: Date): { from: string; to: string } => {
  const to = request.to ?? now.toISOString();
  const from = request.from ?? new Date(Date.parse(to) - DEFAULT_PERIOD_DAYS * DAY_MS).toISOString();
  if (from >= to) throw new ValidationError('BAD_PERIOD', `from (${from}) must be before to (${to})`);
  if (Date.parse(to) - Date.parse(from) > MAX_PERIOD_DAYS * DAY_MS) {
    throw new ValidationError('BAD_PERIOD', `a report covers at most ${MAX_PERIOD_DAYS} days; shorten from/to`);
  }
  return { from, to };
};

/**
 * The histories of the grants created in [from, to] (inclusive, so a default `to` of now takes in
 * what happened just now), streamed: per catalog role, the byRole index newest first, one page
 * of 100 grants at a time, stopping at the first page that reaches before `from`; each page's
 * histories are read a few grants at a time and trimmed to what the reports read
 * (reportHistory) before the next page is read. Oldest first, as the reports list them.
 */
const historiesCreatedIn = async (deps: BrokerDeps, period: { from: string; to: string }): Promise<GrantHistory[]> => {
  const histories: GrantHistory[] = [];
  for (const roleId of deps.config.catalog.roles.keys()) {
    let cursor: string | undefined;
    do {
      const page = await deps.store.listByRole(roleId, { limit: 100, ...(cursor ? { cursor } : {}) });
      const inPeriod = page.items.filter((g) => g.createdAt >= period.from && g.createdAt <= period.to);
      if (histories.length + inPeriod.length > MAX_GRANTS_PER_REPORT) {
        throw new ValidationError(
          'REPORT_TOO_LARGE',
          `more than ${MAX_GRANTS_PER_REPORT} grants in the period; shorten from/to`
        );
      }
      for (let i = 0; i < inPeriod.length; i += READ_CONCURRENCY) {
        const batch = inPeriod.slice(i, i + READ_CONCURRENCY);
        histories.push(
          ...(await Promise.all(
            batch.map(async (grant) => {
              const [events, activity] = await Promise.all([
                deps.store.auditTrail(grant.id),
                deps.activity.get(grant.id),
              ]);
              return reportHistory(grant, events, activity);
            })
          ))
        );
      }
      const oldest = page.items.at(-1);
      cursor = oldest !== undefined && oldest.createdAt >= period.from ? page.nextCursor : undefined;
    } while (cursor !== undefined);
  }
  return histories.sort((a, b) => a.grant.createdAt.localeCompare(b.grant.createdAt));
};

/** Security's effectiveness reports over a period (docs/reports.md). Nobody else may read them. */
const runReport = async (
  deps: BrokerDeps,
  caller: Caller,
  kind: string,
  request: ReportRequest
): Promise<Report | { kind: 'summary'; from: string; to: string; reports: Report[] }> => {
  if (!isAmong(caller, deps.config.security)) {
    throw new ForbiddenError('NOT_SECURITY', 'only security principals named in the catalog can read reports');
  }
  const name = parseKind(kind);
  const period = periodOf(request, deps.clock.now());
  const [grants, denials] = await Promise.all([historiesCreatedIn(deps, period), deps.denials.list(period)]);
  const input = {
    ...period,
    grants,
    denials,
    reuseThreshold: request.reuseThreshold ?? DEFAULT_REUSE_THRESHOLD,
  };
  if (name !== 'summary') return buildReport(name, input);
  return { kind: 'summary', ...period, reports: REPORT_KINDS.map((k) => buildReport(k, input)) };
};

export type { ReportName, ReportRequest };
export { runReport };
