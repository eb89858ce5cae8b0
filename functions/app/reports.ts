import { type Caller, isAmong } from '../domain/caller.js';
import { type ChainVerdict, verifyChain } from '../domain/chainVerdict.js';
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

/** A chain's verdict as a report keeps it: valid, or where and why it broke (not the whole verdict). */
type ChainIntegrity =
  | { readonly valid: true }
  | { readonly valid: false; readonly brokenAt: number; readonly reason: string };
type VerifiedHistory = GrantHistory & { readonly chain: ChainIntegrity };

const chainIntegrity = (verdict: ChainVerdict): ChainIntegrity =>
  verdict.valid ? { valid: true } : { valid: false, brokenAt: verdict.brokenAt, reason: verdict.reason };

/**
 * The histories of the grants created in [from, to] (inclusive, so a default `to` of now takes in
 * what happened just now), streamed: per catalog role, the byRole index newest first, one page
 * of 100 grants at a time, stopping at the first page that reaches before `from`; each page's
 * histories are read a few grants at a time and trimmed to what the reports read
 * (reportHistory) before the next page is read; each grant's chain is checked against its
 * signatures as it is read. Oldest first, as the reports list them.
 */
const historiesCreatedIn = async (
  deps: BrokerDeps,
  period: { from: string; to: string }
): Promise<VerifiedHistory[]> => {
  const histories: VerifiedHistory[] = [];
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
              const chain = await verifyChain(grant, events, (statement, signature) =>
                deps.chainSigner.verify(statement, signature)
              );
              return { ...reportHistory(grant, events, activity), chain: chainIntegrity(chain) };
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

/** Which of the report's grants have a chain that does not verify against the broker's signatures. */
const integrityOf = (histories: readonly VerifiedHistory[]) => ({
  verified: histories.filter((h) => h.chain.valid).length,
  broken: histories.flatMap(({ grant, chain }) =>
    chain.valid ? [] : [{ grantId: grant.id, brokenAt: chain.brokenAt, reason: chain.reason }]
  ),
});

/**
 * A report says which of its grants it cannot vouch for: rows built from a forged chain would be
 * whatever the forger wrote (docs/audit.md, "Signed chain").
 */
const withIntegrity = (
  report: Report,
  integrity: ReturnType<typeof integrityOf>
): Report & {
  integrity: ReturnType<typeof integrityOf>;
} => ({
  ...report,
  hints: [
    ...report.hints,
    ...integrity.broken.map(
      (b) => `AUDIT CHAIN BROKEN for ${b.grantId}: ${b.reason}; its rows may be forged (jit audit ${b.grantId})`
    ),
  ],
  integrity,
});

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
  const [histories, denials] = await Promise.all([historiesCreatedIn(deps, period), deps.denials.list(period)]);
  const input = {
    ...period,
    grants: histories,
    denials,
    reuseThreshold: request.reuseThreshold ?? DEFAULT_REUSE_THRESHOLD,
  };
  const integrity = integrityOf(histories);
  if (integrity.broken.length > 0) {
    deps.logger.warn('report over grants whose audit chains do not verify', { grantIds: integrity.broken });
  }
  const build = (kind: ReportKind) => withIntegrity(buildReport(kind, input), integrity);
  if (name !== 'summary') return build(name);
  return { kind: 'summary', ...period, reports: REPORT_KINDS.map(build) };
};

export type { ReportName, ReportRequest };
export { runReport };
