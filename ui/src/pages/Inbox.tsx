import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { ErrorBox, GrantLink, Loading } from '../components.js';
import { useAction } from '../useAction.js';
import { usePoll } from '../usePoll.js';
import { approvalBlock, quorumText, whyApprover } from '../view/grants.js';
import type { GrantView } from '../view/types.js';

const POLL_MS = 5000;

const Decide = ({ grant, user, onDone }: { grant: GrantView; user: string; onDone: () => void }) => {
  const [comment, setComment] = useState('');
  const { error, busy, run } = useAction();
  const blocked = approvalBlock(grant, user);
  // A deny without a comment still goes to the API, whose message says what is missing.
  const decide = (verb: 'approve' | 'deny') =>
    run(
      () => api('POST', `/grants/${grant.id}/${verb}`, comment === '' && verb === 'approve' ? {} : { comment }),
      () => {
        setComment('');
        onDone();
      }
    );
  if (blocked !== undefined) return <p class="muted">You cannot approve this grant: {blocked}.</p>;
  return (
    <div class="decide">
      <label class="field">
        <span>Comment (required to deny)</span>
        <input value={comment} onInput={(e) => setComment(e.currentTarget.value)} maxLength={1000} />
      </label>
      <button type="button" disabled={busy} onClick={() => decide('approve')}>
        Approve {grant.id}
      </button>
      <button type="button" class="danger" disabled={busy} onClick={() => decide('deny')}>
        Deny
      </button>
      <ErrorBox message={error} />
    </div>
  );
};

const InboxItem = ({ grant, user, onDone }: { grant: GrantView; user: string; onDone: () => void }) => (
  <article class="card" aria-label={`grant ${grant.id}`}>
    <h3>
      <GrantLink id={grant.id} /> — {grant.requester} asks for {grant.roleId}
    </h3>
    <dl>
      <dt>Reason</dt>
      <dd>{grant.reason}</dd>
      <dt>Ticket</dt>
      <dd>{grant.ticket ?? '—'}</dd>
      <dt>Actions</dt>
      <dd>{grant.scope.actions.join(', ')}</dd>
      <dt>Resources</dt>
      <dd>{grant.scope.resources.join(', ')}</dd>
      {grant.scope.conditions ? (
        <>
          <dt>Conditions</dt>
          <dd>
            <code>{JSON.stringify(grant.scope.conditions)}</code>
          </dd>
        </>
      ) : null}
      <dt>Privilege width</dt>
      <dd>{grant.privilegeWidth} concrete actions granted</dd>
      <dt>Duration</dt>
      <dd>{Math.round(grant.durationSeconds / 60)} min</dd>
      <dt>Policy</dt>
      <dd>
        {whyApprover(grant, user)} {quorumText(grant)}
      </dd>
      {grant.breakGlass ? (
        <>
          <dt>Break-glass</dt>
          <dd>yes: reviewed afterwards by security</dd>
        </>
      ) : null}
    </dl>
    {grant.mayOutliveKill && grant.mayOutliveKill.length > 0 ? (
      <p class="warning" role="note">
        May outlive the kill: this task names {grant.mayOutliveKill.join(', ')}, which could create sessions or
        credentials the kill cannot reach.
      </p>
    ) : null}
    <Decide grant={grant} user={user} onDone={onDone} />
  </article>
);

const Inbox = ({ user }: { user: string }) => {
  const inbox = usePoll(() => api<{ grants: GrantView[] }>('GET', '/grants?inbox'), POLL_MS, user);
  return (
    <section aria-labelledby="inbox-title">
      <h2 id="inbox-title">Inbox: grants waiting for your approval</h2>
      <ErrorBox message={inbox.error} />
      {inbox.data === undefined ? (
        inbox.error ? null : (
          <Loading />
        )
      ) : inbox.data.grants.length === 0 ? (
        <p>Nothing waits for you.</p>
      ) : (
        inbox.data.grants.map((grant) => <InboxItem key={grant.id} grant={grant} user={user} onDone={inbox.reload} />)
      )}
    </section>
  );
};

export { Inbox };
