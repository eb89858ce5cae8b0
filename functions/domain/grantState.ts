import { IllegalTransitionError } from './errors.js';

const GRANT_STATES = ['PENDING', 'APPROVED', 'ACTIVE', 'ENDED', 'REVOKED', 'EXPIRED', 'DENIED', 'CANCELLED'] as const;
type GrantState = (typeof GRANT_STATES)[number];

/** What can happen to a grant. `approve` here is the final approval that meets the quorum. */
type GrantAction = 'approve' | 'deny' | 'cancel' | 'expire' | 'activate' | 'finish' | 'revoke';

/**
 * The whole lifecycle in one table (see DESIGN.md "Grant lifecycle"). Anything not listed is
 * illegal. Terminal states have no way out, which is what makes "ended" mean ended.
 */
const TRANSITIONS: Readonly<Record<GrantState, Partial<Record<GrantAction, GrantState>>>> = {
  PENDING: { approve: 'APPROVED', deny: 'DENIED', cancel: 'CANCELLED', expire: 'EXPIRED' },
  APPROVED: { activate: 'ACTIVE', cancel: 'CANCELLED', revoke: 'REVOKED', expire: 'EXPIRED' },
  ACTIVE: { finish: 'ENDED', revoke: 'REVOKED', expire: 'EXPIRED' },
  ENDED: {},
  REVOKED: {},
  EXPIRED: {},
  DENIED: {},
  CANCELLED: {},
};

const isTerminal = (state: GrantState): boolean => Object.keys(TRANSITIONS[state]).length === 0;

/** The state `action` leads to from `state`, or an IllegalTransitionError that says why not. */
const nextState = (grantId: string, state: GrantState, action: GrantAction): GrantState => {
  const target = TRANSITIONS[state][action];
  if (target === undefined) {
    const allowed = Object.keys(TRANSITIONS[state]);
    const hint = allowed.length === 0 ? 'it has ended' : `from ${state} it can only ${allowed.join(', ')}`;
    throw new IllegalTransitionError(
      'ILLEGAL_TRANSITION',
      `grant ${grantId} is ${state} and cannot ${action}: ${hint}`
    );
  }
  return target;
};

export type { GrantAction, GrantState };
export { GRANT_STATES, isTerminal, nextState };
