import type { Report } from '../../functions/domain/reports.js';
import type { ReportSummary } from '../api/brokerApi.js';
import type { CommandSpec } from '../commandLine.js';
import { type CliContext, connect } from '../context.js';
import { EXIT, UsageError } from '../errors.js';
import { printJson } from '../output.js';
import { type ReportFormat, reportCsv, reportTable, rowsOmittedNote } from '../reportFormat.js';

const KINDS = ['summary', 'width', 'time-to-kill', 'after-end', 'reuse', 'exceptions', 'trends'];
const SINCE = /^(\d{1,3})([dhw])$/;
const UNIT_MS = { h: 3600_000, d: 86_400_000, w: 7 * 86_400_000 } as const;

/** `14d`, `36h`, `2w` → the instant that long before now. */
const sinceToFrom = (since: string, now: Date): string => {
  const match = SINCE.exec(since);
  if (match === null)
    throw new UsageError(`--since takes a count and a unit (h, d, w) such as 14d or 2w, got '${since}'`);
  return new Date(now.getTime() - Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]).toISOString();
};

const parseFormat = (values: Record<string, unknown>): ReportFormat => {
  if (values.json) return 'json';
  const format = (values.format as string | undefined) ?? 'table';
  if (format !== 'table' && format !== 'json' && format !== 'csv') {
    throw new UsageError(`--format is table, json or csv, got '${format}'`);
  }
  return format;
};

const parseThreshold = (text: string | undefined): number | undefined => {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 2 || n > 1000)
    throw new UsageError(`--reuse-threshold must be 2-1000, got '${text}'`);
  return n;
};

const report: CommandSpec<CliContext> = {
  name: 'report',
  summary: 'Security: is JIT reducing exposure? Width, time to kill, use after end, reuse, exceptions, trends',
  usage: '[kind] [--since 14d | --from DATE] [--to DATE] [--format table|json|csv] [--reuse-threshold N]',
  description:
    `Kinds: ${KINDS.join(', ')} (default summary: every kind). The period defaults to the last 30 days; ` +
    'a report lists its first 1,000 rows and counts the rest in its summary (shorten the period to list them); ' +
    'see docs/reports.md for what each number means.',
  options: {
    since: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    format: { type: 'string' },
    'reuse-threshold': { type: 'string' },
  },
  optionHelp: [
    ['--since 14d', 'the period up to now: a count of hours (h), days (d) or weeks (w)'],
    ['--from DATE', 'start of the period (ISO 8601, e.g. 2026-11-01); instead of --since'],
    ['--to DATE', 'end of the period (default now)'],
    ['--format F', 'table (default), json or csv (--json is --format json)'],
    ['--reuse-threshold N', 'elevations of one person to one role that earn a redesign hint (default 5)'],
  ],
  examples: [
    'jit report',
    'jit report reuse --since 14d',
    'jit report width --from 2026-11-01 --to 2026-12-01 --format csv > width.csv',
    'jit report exceptions --json | jq ".summary"',
  ],
  positionals: ['kind?'],
  json: true,
  async run(context, { values, positionals }) {
    const kind = positionals[0] ?? 'summary';
    if (!KINDS.includes(kind)) throw new UsageError(`report kinds: ${KINDS.join(', ')}; got '${kind}'`);
    if (values.since !== undefined && values.from !== undefined)
      throw new UsageError('give --since or --from, not both');
    const format = parseFormat(values);
    const threshold = parseThreshold(values['reuse-threshold'] as string | undefined);
    const from =
      values.since === undefined
        ? (values.from as string | undefined)
        : sinceToFrom(values.since as string, context.now());
    const answer = await connect(context, values).api.report(kind, {
      ...(from === undefined ? {} : { from }),
      ...(values.to === undefined ? {} : { to: values.to as string }),
      ...(threshold === undefined ? {} : { reuseThreshold: threshold }),
    });
    const reports: readonly Report[] =
      answer.kind === 'summary' ? (answer as ReportSummary).reports : [answer as Report];
    if (format === 'json') printJson(context.io, answer);
    else if (format === 'csv') {
      context.io.out(reportCsv(reports));
      // The CSV carries rows only: a cut-off list must not pass for the whole period.
      for (const note of reports.map(rowsOmittedNote)) if (note !== undefined) context.io.err(`note: ${note}`);
    } else context.io.out(reports.map(reportTable).join('\n\n'));
    return EXIT.ok;
  },
};

export { report, sinceToFrom };
