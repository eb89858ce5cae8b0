import type { Cell, ReportView } from './types.js';

interface ReportFilter {
  readonly role: string;
  readonly user: string;
}

/** Rows whose role / user columns contain the filter text (empty matches all). */
const filterRows = (report: ReportView, filter: ReportFilter): ReportView['rows'] => {
  const matches = (value: Cell | undefined, wanted: string) =>
    wanted === '' || (typeof value === 'string' && value.toLowerCase().includes(wanted.toLowerCase()));
  return report.rows.filter((row) => matches(row.role, filter.role) && matches(row.requester, filter.user));
};

/** The grant a row is about, when it is about one (for the link to its page). */
const grantOf = (row: Readonly<Record<string, Cell>>): string | undefined => {
  const id = row.grantId;
  return typeof id === 'string' && /^g-[0-9a-z]{26}$/.test(id) ? id : undefined;
};

interface BarSeries {
  readonly labels: readonly string[];
  readonly series: readonly { readonly name: string; readonly values: readonly (number | null)[] }[];
  /** The grant behind each bar, when the bars are grants. */
  readonly grants: readonly (string | undefined)[];
}

const num = (value: Cell | undefined): number | null =>
  typeof value === 'number' && Number.isFinite(value) ? value : null;

/** Which columns of which report become a chart (docs/reports.md names the columns). */
const CHARTS: Readonly<Record<string, { readonly label: string; readonly values: readonly string[] }>> = {
  width: { label: 'grantId', values: ['granted', 'used'] },
  'time-to-kill': { label: 'grantId', values: ['secondsToKill', 'secondsToFirstRefusal'] },
  trends: { label: 'day', values: ['requested', 'granted', 'denials', 'afterEndCalls'] },
  reuse: { label: 'requester', values: ['elevations'] },
};

/** A report's rows as chart series, or undefined for reports that are lists rather than figures. */
const chartOf = (report: ReportView, rows: ReportView['rows']): BarSeries | undefined => {
  const spec = CHARTS[report.kind];
  if (spec === undefined) return undefined;
  const values = spec.values.filter((column) => report.columns.includes(column));
  if (values.length === 0 || rows.length === 0) return undefined;
  return {
    labels: rows.map((row, i) => {
      const label = row[spec.label];
      return typeof label === 'string' ? label : String(i + 1);
    }),
    series: values.map((name) => ({ name, values: rows.map((row) => num(row[name])) })),
    grants: rows.map(grantOf),
  };
};

const cellText = (value: Cell | undefined): string =>
  value === null || value === undefined ? '—' : typeof value === 'boolean' ? (value ? 'yes' : 'no') : String(value);

export type { BarSeries, ReportFilter };
export { cellText, chartOf, filterRows, grantOf };
