import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { ErrorBox, Field, GrantLink } from '../components.js';
import { useAction } from '../useAction.js';
import { usePoll } from '../usePoll.js';
import type { GrantView } from '../view/types.js';

const POLL_MS = 30_000;

const ReviewItem = ({ grant, onDone }: { grant: GrantView; onDone: () => void }) => {
  const [comment, setComment] = useState('');
  const { error, busy, run } = useAction();
  return (
    <li>
      <GrantLink id={grant.id} /> — {grant.requester} on {grant.roleId}, ticket {grant.ticket ?? '—'}: {grant.reason}
      <Field label={`Review comment for ${grant.id}`}>
        <input value={comment} onInput={(e) => setComment(e.currentTarget.value)} maxLength={1000} />
      </Field>
      <button
        type="button"
        disabled={busy}
        onClick={() => run(() => api('POST', `/grants/${grant.id}/review`, { comment }), onDone)}
      >
        Close review of {grant.id}
      </button>
      <ErrorBox message={error} />
    </li>
  );
};

/** Break-glass grants security still has to review after the fact (`GET /grants?reviews`). */
const Reviews = ({ user }: { user: string }) => {
  const due = usePoll(() => api<{ grants: GrantView[] }>('GET', '/grants?reviews'), POLL_MS, user);
  return (
    <article class="card" aria-labelledby="reviews-title">
      <h3 id="reviews-title">Break-glass reviews to close</h3>
      <ErrorBox message={due.error} />
      {due.data === undefined ? null : due.data.grants.length === 0 ? (
        <p>None open.</p>
      ) : (
        <ul>
          {due.data.grants.map((grant) => (
            <ReviewItem key={grant.id} grant={grant} onDone={due.reload} />
          ))}
        </ul>
      )}
    </article>
  );
};

export { Reviews };
