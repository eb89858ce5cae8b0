import type { Cell, Report } from '../functions/domain/reports.js';
import { displaySafe } from '../functions/domain/untrustedText.js';

type ReportFormat = 'table' | 'json' | 'csv';

/** Cells hold requesters, roles and reasons: someone's input, made display-safe (domain/untrustedText.ts). */
const cellText = (cell: Cell | undefined): string =>
  cell === null || cell === undefined ? '' : displaySafe(String(cell));

/** RFC 4180: quote a field with a comma, quote or line break; double the quotes inside. */
const csvField = (text: string): string => (/[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text);

/** A header line, then one line per row; the kind goes in the first column so several reports can share a file. */
const reportCsv = (reports: readonly Report[]): string =>
  reports
    .map((report) =>
      [
        ['report', ...report.columns].map(csvField).join(','),
        ...report.rows.map((row) =>
          [report.kind, ...report.columns.map((c) => cellText(row[c]))].map(csvField).join(',')
        ),
      ].join('\n')
    )
    .join('\n\n');

/** A report lists its first rows only (docs/reports.md, "Memory"): say so wherever rows are printed. */
const rowsOmittedNote = (report: Report): string | undefined =>
  report.rowsOmitted === undefined
    ? undefined
    : `… ${report.rowsOmitted} more ${report.kind} rows not listed (the summary counts them): shorten the period to list them`;

/** Columns padded to their widest cell; then the summary and the hints. */
const reportTable = (report: Report): string => {
  const lines = [`${report.kind}  ${report.from} → ${report.to}`];
  if (report.rows.length === 0) {
    lines.push('  (nothing in this period)');
  } else {
    const cells = [
      report.columns as readonly string[],
      ...report.rows.map((r) => report.columns.map((c) => cellText(r[c]))),
    ];
    const widths = report.columns.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
    for (const row of cells)
      lines.push(
        `  ${row
          .map((cell, i) => cell.padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd()}`
      );
  }
  const omitted = rowsOmittedNote(report);
  if (omitted !== undefined) lines.push(`  ${omitted}`);
  const summary = Object.entries(report.summary).map(([k, v]) => `${k}=${cellText(v)}`);
  if (summary.length > 0) lines.push(`  summary: ${summary.join('  ')}`);
  for (const hint of report.hints) lines.push(`  hint: ${hint}`);
  return lines.join('\n');
};

export type { ReportFormat };
export { reportCsv, reportTable, rowsOmittedNote };
