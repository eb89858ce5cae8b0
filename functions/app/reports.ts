import { type Caller, isAmong } from '../domain/caller.js';
import { type ChainVerdict, verifyChain } from '../domain/chainVerdict.js';
import { ForbiddenError, ValidationError } from '../domain/errors.js';
import type { Grant } from '../domain/grant.js';
import {
  DEFAULT_REUSE_THRESHOLD,
  type GrantHistory,
  REPORT_KINDS,
  type Report,
  type ReportKind,
  reportHistory,
  startReports,
} from '../domain/reports.js';
import { FirstRows } from '../domain/reportTallies.js';
import { quoteInput } from '../domain/untrustedText.js';
import type { BrokerDeps } from './deps.js';
import { rolesWithGrants } from './grantedRoles.js';
import { type ReportDeadline, reportDeadline } from './reportDeadline.js';

const DAY_MS = 24 * 3600 * 1000;
const DEFAULT_PERIOD_DAYS = 30;
const MAX_PERIOD_DAYS = 366;
/**
 * A report reads three items per grant (~2.9 RRU for a signed grant: docs/scale.md); past this many grants, ask for a
 * shorter period instead. Memory is not the bound (grants are folded into running totals as they
 * are read): time is.
 */
const MAX_GRANTS_PER_REPORT = 10_000;
/**
 * Rows each report lists (and per-grant hints of each sort): the rest are counted in its summary
 * and `rowsOmitted`. Keeps the report's memory and its answer bounded (docs/reports.md, "Memory").
 */
const REPORT_ROW_LIMIT = 1000;
/** Grants whose history is read at once: keeps a report from bursting the table's capacity. */
const REPORT_READ_CONCURRENCY = 16;
/**
 * Time kept back from the function's own timeout to build the reports and answer once reading
 * stops (building takes milliseconds; serialising the answer of a few thousand rows, tens).
 */
const REPORT_ANSWER_MARGIN_MS = 2000;

interface ReportRequest {
  readonly from?: string;
  readonly to?: string;
  readonly reuseThreshold?: number;
  /**
   * When the function running the report will be stopped (epoch ms; in Lambda, its timeout): the
   * report stops reading REPORT_ANSWER_MARGIN_MS before and answers REPORT_TOO_SLOW, rather than
   * being cut off without a word. Unset, a report takes as long as it takes (the sandbox, benchmarks).
   */
  readonly deadline?: number;
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

/** A grant whose chain does not verify, as a report names it. */
interface BrokenChain {
  readonly grantId: string;
  readonly brokenAt: number;
  readonly reason: string;
}

/**
 * One batch of grants' events and activity, read at once. A batch read ahead and then abandoned
 * (the report stopped) must not be an unhandled rejection: its failure is seen when it is awaited.
 */
const readBatch = (deps: BrokerDeps, grants: readonly Grant[]) => {
  const reading = Promise.all(
    grants.map(async (grant) => {
      const [events, activity] = await Promise.all([deps.store.auditTrail(grant.id), deps.activity.get(grant.id)]);
      return { grant, events, activity };
    })
  );
  reading.catch(() => {});
  return reading;
};

/**
 * Reads the grants created in [from, to] (inclusive, so a default `to` of now takes in what
 * happened just now) and hands each one's history to `take`, streamed: per role that has had
 * grants — in the catalog or removed from it since (rolesWithGrants) — the byRole index newest
 * first, one page of 100 grants at a time, stopping at the first page that reaches before `from`;
 * each page's histories are read REPORT_READ_CONCURRENCY grants at a time
 * (the next batch read while this one's chains are verified), trimmed to what the reports read
 * (reportHistory) and folded in as they come, so nothing is held per grant. Each grant's chain is
 * checked against its signatures as it is read. It stops at the report's deadline (reportDeadline).
 */
const streamHistories = async (
  deps: BrokerDeps,
  period: { from: string; to: string },
  deadline: ReportDeadline,
  progress: { read: number },
  take: (history: GrantHistory, chain: ChainVerdict) => void
): Promise<void> => {
  for (const roleId of await deadline.within(rolesWithGrants(deps))) {
    let cursor: string | undefined;
    do {
      deadline.check();
      const page = await deadline.within(deps.store.listByRole(roleId, { limit: 100, ...(cursor ? { cursor } : {}) }));
      const inPeriod = page.items.filter((g) => g.createdAt >= period.from && g.createdAt <= period.to);
      if (progress.read + inPeriod.length > MAX_GRANTS_PER_REPORT) {
        throw new ValidationError(
          'REPORT_TOO_LARGE',
          `more than ${MAX_GRANTS_PER_REPORT} grants in the period; shorten from/to`
        );
      }
      // Two batches in flight at most: the next batch's reads wait on DynamoDB while this one's
      // chains are verified (CPU), so a report takes about its CPU time, not CPU plus waits.
      const batchAt = (i: number) => readBatch(deps, inPeriod.slice(i, i + REPORT_READ_CONCURRENCY));
      let next = batchAt(0);
      for (let i = 0; i < inPeriod.length; i += REPORT_READ_CONCURRENCY) {
        const read = await deadline.within(next);
        if (i + REPORT_READ_CONCURRENCY < inPeriod.length) next = batchAt(i + REPORT_READ_CONCURRENCY);
        deadline.check();
        for (const { grant, events, activity } of read) {
          const chain = await verifyChain(grant, events, (statement, signature) =>
            deps.chainSigner.verify(statement, signature)
          );
          take(reportHistory(grant, events, activity), chain);
          progress.read++;
        }
      }
      const oldest = page.items.at(-1);
      cursor = oldest !== undefined && oldest.createdAt >= period.from ? page.nextCursor : undefined;
    } while (cursor !== undefined);
  }
};

/**
 * Which of the report's grants have a chain that does not verify against the broker's signatures:
 * the first REPORT_ROW_LIMIT of them by name (in report order), all of them counted.
 */
const integrityTally = () => {
  let verified = 0;
  const broken = new FirstRows<BrokenChain>(REPORT_ROW_LIMIT);
  return {
    add(history: GrantHistory, chain: ChainVerdict): void {
      if (chain.valid) verified++;
      else {
        broken.push(history.grant.createdAt, {
          grantId: history.grant.id,
          brokenAt: chain.brokenAt,
          reason: chain.reason,
        });
      }
    },
    finish() {
      return { verified, brokenCount: broken.total, broken: broken.rows() };
    },
  };
};
type Integrity = ReturnType<ReturnType<typeof integrityTally>['finish']>;
type CheckedReport = Report & { readonly integrity: Integrity };

/**
 * A report says which of its grants it cannot vouch for: rows built from a forged chain would be
 * whatever the forger wrote (docs/audit.md, "Signed chain").
 */
const withIntegrity = (report: Report, integrity: Integrity): CheckedReport => {
  const unnamed = integrity.brokenCount - integrity.broken.length;
  return {
    ...report,
    hints: [
      ...report.hints,
      ...integrity.broken.map(
        (b) => `AUDIT CHAIN BROKEN for ${b.grantId}: ${b.reason}; its rows may be forged (jit audit ${b.grantId})`
      ),
      ...(unnamed > 0
        ? [`AUDIT CHAIN BROKEN for ${unnamed} more grants: see integrity.brokenCount; shorten the period to name them`]
        : []),
    ],
    integrity,
  };
};

/** Security's effectiveness reports over a period (docs/reports.md). Nobody else may read them. */
const runReport = async (
  deps: BrokerDeps,
  caller: Caller,
  kind: string,
  request: ReportRequest
): Promise<CheckedReport | { kind: 'summary'; from: string; to: string; reports: CheckedReport[] }> => {
  if (!isAmong(caller, deps.config.security)) {
    throw new ForbiddenError('NOT_SECURITY', 'only security principals named in the catalog can read reports');
  }
  const name = parseKind(kind);
  const period = periodOf(request, deps.clock.now());
  const kinds = name === 'summary' ? REPORT_KINDS : [name];
  const reports = startReports(kinds, {
    ...period,
    reuseThreshold: request.reuseThreshold ?? DEFAULT_REUSE_THRESHOLD,
    rowLimit: REPORT_ROW_LIMIT,
  });
  const integrity = integrityTally();
  const progress = { read: 0 };
  const stopAt = request.deadline === undefined ? undefined : request.deadline - REPORT_ANSWER_MARGIN_MS;
  const deadline = reportDeadline(deps.clock, stopAt, () => progress.read);
  const [, denials] = await Promise.all([
    streamHistories(deps, period, deadline, progress, (history, chain) => {
      reports.add(history);
      integrity.add(history, chain);
    }),
    deadline.within(deps.denials.list(period)),
  ]);
  const checked = integrity.finish();
  if (checked.brokenCount > 0) {
    deps.logger.warn('report over grants whose audit chains do not verify', {
      brokenCount: checked.brokenCount,
      grantIds: checked.broken,
    });
  }
  const built = reports.finish(denials).map((report) => withIntegrity(report, checked));
  if (name !== 'summary') return built[0] as CheckedReport;
  return { kind: 'summary', ...period, reports: built };
};

export type { CheckedReport, ReportName, ReportRequest };
export { REPORT_ANSWER_MARGIN_MS, REPORT_READ_CONCURRENCY, REPORT_ROW_LIMIT, runReport };
