import { useMemo, useState } from 'preact/hooks';
import { api } from '../api.js';
import { Chart } from '../Chart.js';
import { ErrorBox, Field, GrantLink, Loading } from '../components.js';
import { usePoll } from '../usePoll.js';
import { cellText, chartOf, filterRows, grantOf } from '../view/reports.js';
import type { ReportView } from '../view/types.js';
import { Reviews } from './Reviews.js';

/** Reports read about three items per grant (docs/reports.md): refreshed once a minute, not every few seconds. */
const POLL_MS = 60_000;

const ReportBlock = ({ report, role, user }: { report: ReportView; role: string; user: string }) => {
  const rows = useMemo(() => filterRows(report, { role, user }), [report, role, user]);
  const chart = useMemo(() => chartOf(report, rows), [report, rows]);
  return (
    <article class="card" aria-labelledby={`report-${report.kind}`}>
      <h3 id={`report-${report.kind}`}>{report.kind}</h3>
      {report.hints.map((hint) => (
        <p key={hint} class="warning">
          {hint}
        </p>
      ))}
      {chart ? <Chart title={report.kind} data={chart} /> : null}
      <p class="muted">
        {rows.length} of {report.rows.length} rows
        {report.rowsOmitted === undefined
          ? ''
          : ` (and ${report.rowsOmitted} more not listed, counted in the summary: shorten the period to list them)`}{' '}
        · summary: {JSON.stringify(report.summary)}
      </p>
      {rows.length > 0 ? (
        <div class="table-wrap">
          <table>
            <caption class="visually-hidden">{report.kind} report</caption>
            <thead>
              <tr>
                {report.columns.map((column) => (
                  <th key={column} scope="col">
                    {column}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((row, i) => (
                <tr key={i}>
                  {report.columns.map((column) => {
                    const grant = column === 'grantId' ? grantOf(row) : undefined;
                    return <td key={column}>{grant ? <GrantLink id={grant} /> : cellText(row[column])}</td>;
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </article>
  );
};

const Security = ({ user }: { user: string }) => {
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [role, setRole] = useState('');
  const [requester, setRequester] = useState('');
  const query = new URLSearchParams({ ...(from ? { from } : {}), ...(to ? { to } : {}) }).toString();
  const summary = usePoll(
    () => api<{ reports: ReportView[] }>('GET', `/reports/summary${query ? `?${query}` : ''}`),
    POLL_MS,
    `${user}?${query}`
  );
  return (
    <section aria-labelledby="security-title">
      <h2 id="security-title">Security</h2>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <Field label="From (YYYY-MM-DD)">
          <input value={from} onChange={(e) => setFrom(e.currentTarget.value)} placeholder="30 days ago" />
        </Field>
        <Field label="To (YYYY-MM-DD)">
          <input value={to} onChange={(e) => setTo(e.currentTarget.value)} placeholder="now" />
        </Field>
        <Field label="Role contains">
          <input value={role} onInput={(e) => setRole(e.currentTarget.value)} />
        </Field>
        <Field label="User contains">
          <input value={requester} onInput={(e) => setRequester(e.currentTarget.value)} />
        </Field>
        <button type="button" onClick={summary.reload}>
          Refresh
        </button>
      </form>
      <p class="muted">Revoke a running grant from its page (follow a grant link).</p>
      <Reviews user={user} />
      <ErrorBox message={summary.error} />
      {summary.data === undefined ? (
        summary.error ? null : (
          <Loading />
        )
      ) : (
        summary.data.reports.map((report) => (
          <ReportBlock key={report.kind} report={report} role={role} user={requester} />
        ))
      )}
    </section>
  );
};

export { Security };
