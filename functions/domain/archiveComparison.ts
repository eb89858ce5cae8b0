import type { AuditEvent } from './auditChain.js';
import { canonicalJson } from './canonicalJson.js';
import type { EventsVerdict } from './chainVerdict.js';

/**
 * How long an event may be in the table and not yet in the archive without that meaning anything:
 * the stream publisher retries a batch for up to 24 hours (maxRecordAge in infra/statelessStack.ts).
 */
const ARCHIVE_LAG_SECONDS = 24 * 3600;

type ArchiveFindingKind =
  | 'differs'
  | 'missing-from-table'
  | 'missing-from-archive'
  | 'not-archived-yet'
  | 'archive-problem'
  | 'archived-chain-broken';

interface ArchiveFinding {
  readonly kind: ArchiveFindingKind;
  readonly seq?: number;
  readonly message: string;
}

interface ArchiveComparison {
  /** True when the table holds exactly what the archive holds (events not archived yet aside). */
  readonly matches: boolean;
  readonly tableEvents: number;
  readonly archivedEvents: number;
  readonly findings: readonly ArchiveFinding[];
}

const named = (event: Pick<AuditEvent, 'seq' | 'type'>) => `${event.seq} (${event.type})`;

const differingFields = (table: AuditEvent, archived: AuditEvent): string[] =>
  [...new Set([...Object.keys(table), ...Object.keys(archived)])]
    .filter(
      (key) =>
        canonicalJson((table as unknown as Record<string, unknown>)[key] ?? null) !==
        canonicalJson((archived as unknown as Record<string, unknown>)[key] ?? null)
    )
    .sort();

/**
 * The table's events of a grant against the archive's (each as first archived). The archive is
 * written from the table's stream into Object Lock, so what it holds is what the table held when
 * each event was appended: an event that differs, or that the archive has and the table lacks, was
 * changed or removed in the table since. `archivedChain` is the archive's own chain verdict.
 */
const compareWithArchive = (input: {
  table: readonly AuditEvent[];
  archived: readonly AuditEvent[];
  archiveProblems: readonly string[];
  archivedChain: EventsVerdict;
  now: Date;
}): ArchiveComparison => {
  const { table, archived, now } = input;
  const tableBySeq = new Map(table.map((e) => [e.seq, e]));
  const archivedBySeq = new Map(archived.map((e) => [e.seq, e]));
  const findings: ArchiveFinding[] = [];
  const lastInTable = Math.max(0, ...tableBySeq.keys());
  const missingFromTable = archived.filter((e) => !tableBySeq.has(e.seq)).sort((a, b) => a.seq - b.seq);
  const tail = missingFromTable.filter((e) => e.seq > lastInTable);
  for (const event of missingFromTable.filter((e) => e.seq <= lastInTable)) {
    findings.push({
      kind: 'missing-from-table',
      seq: event.seq,
      message: `event ${named(event)} is in the archive but missing from the table`,
    });
  }
  for (const event of [...table].sort((a, b) => a.seq - b.seq)) {
    const copy = archivedBySeq.get(event.seq);
    if (copy !== undefined) {
      const fields = differingFields(event, copy);
      if (fields.length === 0) continue;
      const archivedType = copy.type === event.type ? '' : `; the archive says ${copy.type}`;
      findings.push({
        kind: 'differs',
        seq: event.seq,
        message: `event ${named(event)} differs from its archived copy in ${fields.join(', ')}${archivedType}`,
      });
    } else if (Date.parse(event.at) > now.getTime() - ARCHIVE_LAG_SECONDS * 1000) {
      findings.push({
        kind: 'not-archived-yet',
        seq: event.seq,
        message: `event ${named(event)} is not archived yet`,
      });
    } else {
      findings.push({
        kind: 'missing-from-archive',
        seq: event.seq,
        message: `event ${named(event)} is in the table but was never archived (older than the stream's 24-hour retries)`,
      });
    }
  }
  if (tail.length > 0) {
    const where =
      lastInTable === 0
        ? 'every event is missing from the table'
        : `events after ${lastInTable} are missing from the table`;
    findings.push({
      kind: 'missing-from-table',
      seq: tail[0]?.seq as number,
      message: `${where}: the archive holds ${tail.map(named).join(', ')}`,
    });
  }
  for (const problem of input.archiveProblems) findings.push({ kind: 'archive-problem', message: problem });
  if (!input.archivedChain.valid) {
    findings.push({
      kind: 'archived-chain-broken',
      seq: input.archivedChain.brokenAt,
      message: `the archived chain itself does not verify: ${input.archivedChain.reason}`,
    });
  }
  findings.sort((a, b) => (a.seq ?? Number.MAX_SAFE_INTEGER) - (b.seq ?? Number.MAX_SAFE_INTEGER));
  return {
    matches: findings.every((f) => f.kind === 'not-archived-yet'),
    tableEvents: table.length,
    archivedEvents: archived.length,
    findings,
  };
};

export type { ArchiveComparison, ArchiveFinding, ArchiveFindingKind };
export { ARCHIVE_LAG_SECONDS, compareWithArchive };
