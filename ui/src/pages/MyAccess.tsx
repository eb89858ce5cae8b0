import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { ErrorBox, Field, GrantLink, Loading, StateBadge } from '../components.js';
import { useAction } from '../useAction.js';
import { usePoll } from '../usePoll.js';
import { checkScopeLine, LIVE_STATES, parseDuration, profileLines, remainingText, splitLines } from '../view/grants.js';
import type { GrantView, SessionInfo } from '../view/types.js';

const POLL_MS = 3000;

const ScopeInput = ({
  kind,
  value,
  onInput,
  suggestions,
}: {
  kind: 'action' | 'resource';
  value: string;
  onInput: (text: string) => void;
  suggestions: readonly string[];
}) => {
  const problems = splitLines(value)
    .map((line) => [line, checkScopeLine(kind, line)] as const)
    .filter(([, problem]) => problem !== undefined);
  const id = `scope-${kind}`;
  return (
    <div class="field">
      <label for={id}>{kind === 'action' ? 'Actions (one per line)' : 'Resources (one per line)'}</label>
      <textarea
        id={id}
        rows={3}
        value={value}
        onInput={(e) => onInput(e.currentTarget.value)}
        aria-describedby={`${id}-hint`}
        aria-invalid={problems.length > 0}
      />
      <small id={`${id}-hint`}>
        {problems.length > 0
          ? problems.map(([line, problem]) => `${line}: ${problem}`).join('; ')
          : suggestions.length > 0
            ? `allowed by the role: ${suggestions.join(', ')}`
            : ''}
      </small>
    </div>
  );
};

const RequestForm = ({ session, onCreated }: { session: SessionInfo; onCreated: () => void }) => {
  const roles = session.roles ?? [];
  const [role, setRole] = useState(roles[0]?.id ?? '');
  const [actions, setActions] = useState('s3:GetObject');
  const [resources, setResources] = useState('arn:aws:s3:::example-bucket/*');
  const [duration, setDuration] = useState('30m');
  const [reason, setReason] = useState('');
  const [ticket, setTicket] = useState('');
  const { error, busy, run, setError } = useAction();
  const chosen = roles.find((r) => r.id === role);

  const submit = (event: Event) => {
    event.preventDefault();
    const seconds = parseDuration(duration);
    if (typeof seconds === 'string') return setError(`Duration: ${seconds}`);
    const body = {
      role,
      scope: { actions: splitLines(actions), resources: splitLines(resources) },
      durationSeconds: seconds,
      reason,
      ...(ticket.trim() === '' ? {} : { ticket: ticket.trim() }),
    };
    return run(
      () => api('POST', '/grants', body),
      () => {
        setReason('');
        onCreated();
      }
    );
  };

  return (
    <form class="card" onSubmit={submit} aria-labelledby="request-title">
      <h3 id="request-title">Request access</h3>
      <Field label="Role">
        {roles.length > 0 ? (
          <select value={role} onChange={(e) => setRole(e.currentTarget.value)}>
            {roles.map((r) => (
              <option key={r.id} value={r.id}>
                {r.id}
                {r.description ? ` — ${r.description}` : ''}
              </option>
            ))}
          </select>
        ) : (
          <input value={role} onInput={(e) => setRole(e.currentTarget.value)} placeholder="role id from the catalog" />
        )}
      </Field>
      <ScopeInput kind="action" value={actions} onInput={setActions} suggestions={chosen?.actions ?? []} />
      <ScopeInput kind="resource" value={resources} onInput={setResources} suggestions={chosen?.resources ?? []} />
      <Field label={`Duration (e.g. 30m, 2h${chosen?.maxDuration ? `; at most ${chosen.maxDuration}` : ''})`}>
        <input value={duration} onInput={(e) => setDuration(e.currentTarget.value)} />
      </Field>
      <Field label="Reason (at least 10 characters)">
        <input value={reason} onInput={(e) => setReason(e.currentTarget.value)} maxLength={1000} />
      </Field>
      <Field label="Ticket (optional, e.g. INC-1234)">
        <input value={ticket} onInput={(e) => setTicket(e.currentTarget.value)} />
      </Field>
      <button type="submit" disabled={busy}>
        Request
      </button>
      <ErrorBox message={error} />
    </form>
  );
};

const GrantActions = ({ grant, onChange }: { grant: GrantView; onChange: () => void }) => {
  const action = useAction();
  const { error, setError } = action;
  const [extendBy, setExtendBy] = useState('30m');
  const [extendReason, setExtendReason] = useState('');
  const run = (path: string, body: unknown) =>
    action.run(() => api('POST', `/grants/${grant.id}/${path}`, body), onChange);
  const extend = () => {
    const seconds = parseDuration(extendBy);
    if (typeof seconds === 'string') return setError(`Extend by: ${seconds}`);
    return run('extend', { durationSeconds: seconds, reason: extendReason });
  };
  return (
    <div class="actions">
      {grant.state === 'ACTIVE' ? (
        <button type="button" onClick={() => run('done', {})}>
          I'm done
        </button>
      ) : (
        <button type="button" onClick={() => run('cancel', {})}>
          Cancel
        </button>
      )}
      {grant.state === 'ACTIVE' || grant.state === 'APPROVED' ? (
        <span class="extend">
          <Field label="Extend by">
            <input value={extendBy} onInput={(e) => setExtendBy(e.currentTarget.value)} size={5} />
          </Field>
          <Field label="Why">
            <input value={extendReason} onInput={(e) => setExtendReason(e.currentTarget.value)} />
          </Field>
          <button type="button" onClick={extend}>
            Extend
          </button>
        </span>
      ) : null}
      <ErrorBox message={error} />
    </div>
  );
};

const MyGrant = ({
  grant,
  session,
  user,
  onChange,
}: {
  grant: GrantView;
  session: SessionInfo;
  user: string;
  onChange: () => void;
}) => {
  const live = LIVE_STATES.has(grant.state);
  const lines = profileLines(grant, session, user);
  return (
    <article class="card" aria-label={`my grant ${grant.id}`}>
      <h3>
        <GrantLink id={grant.id} /> {grant.roleId} <StateBadge state={grant.state} />
      </h3>
      <p>
        {grant.scope.actions.join(', ')} on {grant.scope.resources.join(', ')} — {remainingText(grant, new Date())}
      </p>
      {live && grant.state !== 'PENDING' ? (
        <div>
          <p>Use it from your shell:</p>
          <pre class="profile-line">{lines.setup}</pre>
          <pre class="profile-line">{lines.process}</pre>
        </div>
      ) : null}
      {live ? <GrantActions grant={grant} onChange={onChange} /> : null}
    </article>
  );
};

const MyAccess = ({ user, session }: { user: string; session: SessionInfo }) => {
  const mine = usePoll(() => api<{ grants: GrantView[] }>('GET', '/grants'), POLL_MS, user);
  return (
    <section aria-labelledby="access-title">
      <h2 id="access-title">My access</h2>
      <RequestForm session={session} onCreated={mine.reload} />
      <h3>My grants</h3>
      <ErrorBox message={mine.error} />
      {mine.data === undefined ? (
        mine.error ? null : (
          <Loading />
        )
      ) : mine.data.grants.length === 0 ? (
        <p>You have no grants yet.</p>
      ) : (
        mine.data.grants.map((grant) => (
          <MyGrant key={grant.id} grant={grant} session={session} user={user} onChange={mine.reload} />
        ))
      )}
    </section>
  );
};

export { MyAccess };
