import { describe, expect, it } from 'vitest';
import { IllegalTransitionError } from '../../functions/domain/errors.js';
import {
  GRANT_STATES,
  type GrantAction,
  type GrantState,
  isTerminal,
  nextState,
} from '../../functions/domain/grantState.js';
import { thrownBy } from '../helpers/thrown.js';

const ACTIONS: readonly GrantAction[] = ['approve', 'deny', 'cancel', 'expire', 'activate', 'finish', 'revoke'];

/** The lifecycle as DESIGN.md describes it, written out independently of the source table. */
const LEGAL: readonly [GrantState, GrantAction, GrantState][] = [
  ['PENDING', 'approve', 'APPROVED'],
  ['PENDING', 'deny', 'DENIED'],
  ['PENDING', 'cancel', 'CANCELLED'],
  ['PENDING', 'expire', 'EXPIRED'],
  ['APPROVED', 'activate', 'ACTIVE'],
  ['APPROVED', 'cancel', 'CANCELLED'],
  ['APPROVED', 'revoke', 'REVOKED'],
  ['APPROVED', 'expire', 'EXPIRED'],
  ['ACTIVE', 'finish', 'ENDED'],
  ['ACTIVE', 'revoke', 'REVOKED'],
  ['ACTIVE', 'expire', 'EXPIRED'],
];

const isLegal = (state: GrantState, action: GrantAction): boolean =>
  LEGAL.some(([from, via]) => from === state && via === action);

const ILLEGAL: [GrantState, GrantAction][] = GRANT_STATES.flatMap((state) =>
  ACTIONS.filter((action) => !isLegal(state, action)).map((action): [GrantState, GrantAction] => [state, action])
);

const TERMINAL: readonly GrantState[] = ['ENDED', 'REVOKED', 'EXPIRED', 'DENIED', 'CANCELLED'];
const OPEN: readonly GrantState[] = ['PENDING', 'APPROVED', 'ACTIVE'];

describe('nextState', () => {
  it('knows exactly the eight lifecycle states', () => {
    expect([...GRANT_STATES].sort()).toEqual([...OPEN, ...TERMINAL].sort());
  });

  it.each(LEGAL)('moves %s on %s to %s', (from, action, to) => {
    expect(nextState('g-test', from, action)).toBe(to);
  });

  it('covers every (state, action) pair as either legal or illegal', () => {
    expect(LEGAL.length + ILLEGAL.length).toBe(GRANT_STATES.length * ACTIONS.length);
    expect(ILLEGAL).toHaveLength(45);
  });

  it.each(ILLEGAL)('rejects %s on %s with ILLEGAL_TRANSITION', (state, action) => {
    const error = thrownBy(() => nextState('g-test', state, action));
    expect(error).toBeInstanceOf(IllegalTransitionError);
    expect(error).toMatchObject({ code: 'ILLEGAL_TRANSITION', kind: 'conflict' });
    expect((error as Error).message).toContain(`grant g-test is ${state} and cannot ${action}`);
  });

  it.each(TERMINAL)('explains that a %s grant has ended', (state) => {
    expect(() => nextState('g-test', state, 'revoke')).toThrow(/it has ended/);
  });

  it('lists what an open state still allows when an action is illegal', () => {
    expect(() => nextState('g-test', 'ACTIVE', 'approve')).toThrow(
      'grant g-test is ACTIVE and cannot approve: from ACTIVE it can only finish, revoke, expire'
    );
  });
});

describe('isTerminal', () => {
  it.each(TERMINAL)('reports %s as terminal', (state) => {
    expect(isTerminal(state)).toBe(true);
  });

  it.each(OPEN)('reports %s as open', (state) => {
    expect(isTerminal(state)).toBe(false);
  });

  it.each(TERMINAL)('leaves no way out of %s', (state) => {
    for (const action of ACTIONS) {
      expect(() => nextState('g-test', state, action)).toThrow(IllegalTransitionError);
    }
  });
});
