import { UsageError } from '../errors.js';
import { grantAction } from './grantAction.js';

const comment = { comment: { type: 'string' } } as const;

const approve = grantAction({
  name: 'approve',
  summary: "Approve someone's pending grant (or its extension)",
  usage: '<grant> [--comment TEXT]',
  options: comment,
  optionHelp: [['--comment TEXT', 'a note kept in the audit trail']],
  examples: ['jit approve g-01J…', 'jit approve g-01J… --comment "matches INC-1234"'],
  act: ({ api }, id, values) => api.approve(id, values.comment as string | undefined),
  report: (g) =>
    g.state === 'PENDING'
      ? `Recorded your approval of ${g.id}: ${g.approvals.length}/${g.requiredApprovals}, still PENDING`
      : `${g.id} is ${g.state}${g.expiresAt ? ` until ${g.expiresAt}` : ''}`,
});

const deny = grantAction({
  name: 'deny',
  summary: 'Deny a pending grant (or its extension), saying why',
  usage: '<grant> --comment TEXT',
  options: comment,
  optionHelp: [['--comment TEXT', 'why (required; the requester sees it)']],
  examples: ['jit deny g-01J… --comment "use the read-only role for this"'],
  act: ({ api }, id, values) => {
    if (!values.comment) throw new UsageError('jit deny needs --comment: tell the requester why');
    return api.deny(id, values.comment as string);
  },
  report: (g) => `${g.id} is ${g.state}`,
});

const cancel = grantAction({
  name: 'cancel',
  summary: 'Withdraw your own PENDING or APPROVED grant',
  usage: '<grant> [--comment TEXT]',
  options: comment,
  optionHelp: [['--comment TEXT', 'a note kept in the audit trail']],
  examples: ['jit cancel g-01J…', 'jit cancel g-01J… --comment "fixed it without access"'],
  act: ({ api }, id, values) => api.cancel(id, values.comment as string | undefined),
  report: (g) => `${g.id} is ${g.state}`,
});

const review = grantAction({
  name: 'review',
  summary: "Security: close a break-glass grant's after-the-fact review",
  usage: '<grant> --comment TEXT',
  options: comment,
  optionHelp: [['--comment TEXT', 'what the review found (required; kept in the audit trail)']],
  examples: ['jit reviews', 'jit review g-01J… --comment "INC-981 outage; actions match the runbook"'],
  act: ({ api }, id, values) => {
    if (!values.comment) throw new UsageError('jit review needs --comment: say what the review found');
    return api.review(id, values.comment as string);
  },
  report: (g) => `Closed the review of ${g.id} (${g.state})`,
});

export { approve, cancel, deny, review };
