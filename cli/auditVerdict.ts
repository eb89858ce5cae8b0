import type { AuditView } from './api/brokerApi.js';

/**
 * What `jit audit` says about a grant's integrity: the signed chain, the kill record against the
 * signed end, and — with `--archive` — the table against the archive. `intact` is false on any
 * divergence, and the command then exits 8 (docs/audit.md).
 */
const auditVerdict = (trail: AuditView): { headline: string; details: string[]; intact: boolean } => {
  const { chain, killRecord, archive } = trail;
  const headline = chain.valid
    ? `chain intact and signed (${chain.length} events${chain.signedBy.length > 0 ? `, key ${chain.signedBy.join(', ')}` : ''})`
    : `CHAIN BROKEN: ${chain.reason}`;
  const details: string[] = [];
  const killIntact = killRecord === undefined || killRecord.verdict === 'matches' || killRecord.verdict === 'pruned';
  if (killRecord !== undefined) {
    details.push(
      `kill record: ${killIntact ? killRecord.verdict : killRecord.verdict.toUpperCase()}: ${killRecord.message}`
    );
  }
  if (archive !== undefined) {
    const counts = `${archive.archivedEvents} archived, ${archive.tableEvents} in the table`;
    details.push(`archive: ${archive.matches ? 'matches the table' : 'DIVERGES from the table'} (${counts})`);
    for (const finding of archive.findings) details.push(`  - ${finding.message}`);
  }
  return { headline, details, intact: chain.valid && killIntact && (archive === undefined || archive.matches) };
};

export { auditVerdict };
