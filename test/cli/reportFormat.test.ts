import { describe, expect, it } from 'vitest';
import { sinceToFrom } from '../../cli/commands/reportCommand.js';
import { UsageError } from '../../cli/errors.js';
import { reportCsv, reportTable, rowsOmittedNote } from '../../cli/reportFormat.js';
import type { Report } from '../../functions/domain/reports.js';

const report: Report = {
  kind: 'reuse',
  from: '2026-11-09T00:00:00.000Z',
  to: '2026-11-23T00:00:00.000Z',
  columns: ['requester', 'role', 'elevations', 'actionsUsed'],
  rows: [
    { requester: 'alice', role: 'prod-read', elevations: 19, actionsUsed: 's3:GetObject' },
    { requester: 'o"brien, jr', role: 'prod-read', elevations: 1, actionsUsed: null },
  ],
  summary: { pairs: 2 },
  hints: ['alice elevated to prod-read 19 times in 14 days: consider a standing narrow role'],
};

describe('jit report output', () => {
  it('writes CSV with the kind first and RFC 4180 quoting', () => {
    expect(reportCsv([report]).split('\n')).toEqual([
      'report,requester,role,elevations,actionsUsed',
      'reuse,alice,prod-read,19,s3:GetObject',
      'reuse,"o""brien, jr",prod-read,1,',
    ]);
  });

  it('prints an aligned table with the summary and the hints', () => {
    const lines = reportTable(report).split('\n');
    expect(lines[1]).toBe('  requester    role       elevations  actionsUsed');
    expect(lines[2]).toBe('  alice        prod-read  19          s3:GetObject');
    expect(lines).toContain('  summary: pairs=2');
    expect(lines.at(-1)).toBe(
      '  hint: alice elevated to prod-read 19 times in 14 days: consider a standing narrow role'
    );
  });

  it.each([
    ['14d', '2026-11-09T00:00:00.000Z'],
    ['36h', '2026-11-21T12:00:00.000Z'],
    ['2w', '2026-11-09T00:00:00.000Z'],
  ])('reads --since %s', (since, from) => {
    expect(sinceToFrom(since, new Date('2026-11-23T00:00:00.000Z'))).toBe(from);
  });

  it.each(['14', 'd', '14 days', '-1d'])('refuses --since %s with what to write', (since) => {
    expect(() => sinceToFrom(since, new Date())).toThrow(UsageError);
  });
});

describe('jit report with rows past the limit', () => {
  const cut: Report = { ...report, rows: report.rows.slice(0, 1), rowsOmitted: 1500 };

  it('says in the table how many rows it does not list', () => {
    expect(reportTable(cut).split('\n')).toContain(
      '  … 1500 more reuse rows not listed (the summary counts them): shorten the period to list them'
    );
    expect(reportTable(report)).not.toContain('not listed');
  });

  it('has a note for the CSV export (printed on stderr)', () => {
    expect(rowsOmittedNote(cut)).toContain('1500 more reuse rows');
    expect(rowsOmittedNote(report)).toBeUndefined();
  });
});
