import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { ErrorBox, Field, Loading, StateBadge } from '../components.js';
import { useAction } from '../useAction.js';
import { usePoll } from '../usePoll.js';
import { LIVE_STATES } from '../view/grants.js';
import { buildTimeline, chainVerdictText, killStateText } from '../view/timeline.js';
import type { AuditView, GrantView } from '../view/types.js';

const POLL_MS = 5000;

const Revoke = ({ grant, onDone }: { grant: GrantView; onDone: () => void }) => {
  const [reason, setReason] = useState('');
  const { error, run } = useAction();
  const revoke = () => run(() => api('POST', `/grants/${grant.id}/revoke`, { reason }), onDone);
  return (
    <div class="card">
      <Field label="Revoke: reason">
        <input value={reason} onInput={(e) => setReason(e.currentTarget.value)} maxLength={1000} />
      </Field>
      <button type="button" class="danger" onClick={revoke}>
        Revoke {grant.id}
      </button>
      <ErrorBox message={error} />
    </div>
  );
};

interface GrantPageData {
  readonly grant: GrantView;
  readonly audit: AuditView;
}

const GrantPage = ({ id, user }: { id: string; user: string }) => {
  const [cloudTrail, setCloudTrail] = useState(false);
  const page = usePoll<GrantPageData>(
    async () => {
      const [grant, audit] = await Promise.all([
        api<GrantView>('GET', `/grants/${id}`),
        api<AuditView>('GET', `/grants/${id}/audit${cloudTrail ? '?lookup=cloudtrail' : ''}`),
      ]);
      return { grant, audit };
    },
    POLL_MS,
    `${user}/${id}/${cloudTrail}`
  );
  if (page.data === undefined)
    return (
      <section aria-labelledby="grant-title">
        <h2 id="grant-title">Grant {id}</h2>
        <ErrorBox message={page.error} />
        {page.error ? null : <Loading />}
      </section>
    );
  const { grant, audit } = page.data;
  const timeline = buildTimeline(audit);
  return (
    <section aria-labelledby="grant-title">
      <h2 id="grant-title">
        Grant {grant.id} <StateBadge state={grant.state} />
      </h2>
      <ErrorBox message={page.error} />
      <p>
        {grant.requester} · {grant.roleId} · {grant.reason}
        {grant.ticket ? ` · ${grant.ticket}` : ''}
      </p>
      <p class={audit.chain.valid ? 'ok' : 'error'} data-testid="chain-verdict">
        {chainVerdictText(audit.chain)}
      </p>
      <p data-testid="kill-state">{killStateText(audit)}</p>
      <label class="inline">
        <input type="checkbox" checked={cloudTrail} onChange={(e) => setCloudTrail(e.currentTarget.checked)} /> Look up
        CloudTrail (Event history) instead of the recorded activity
      </label>
      <h3>Timeline</h3>
      <ol class="timeline" aria-label="timeline">
        {timeline.map((entry) => (
          <li key={`${entry.at}-${entry.title}`} class={`tl-${entry.source}${entry.alarming ? ' alarming' : ''}`}>
            <time dateTime={entry.at}>{entry.at}</time> <strong>{entry.title}</strong>
            {entry.detail ? <span> — {entry.detail}</span> : null}
          </li>
        ))}
      </ol>
      <h3>Session policy</h3>
      <pre class="policy">{JSON.stringify(JSON.parse(grant.sessionPolicy), null, 2)}</pre>
      {LIVE_STATES.has(grant.state) && grant.state !== 'PENDING' ? <Revoke grant={grant} onDone={page.reload} /> : null}
    </section>
  );
};

export { GrantPage };
