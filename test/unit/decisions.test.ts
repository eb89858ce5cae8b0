import { describe, expect, it } from 'vitest';
import { GENESIS_HASH } from '../../functions/domain/auditChain.js';
import type { Caller } from '../../functions/domain/caller.js';
import type { CatalogRole } from '../../functions/domain/catalog.js';
import {
  approve,
  autoApprove,
  cancel,
  closeReview,
  deny,
  expirePending,
  SYSTEM_ACTOR,
} from '../../functions/domain/decisions.js';
import {
  BrokerError,
  ConflictError,
  ForbiddenError,
  IllegalTransitionError,
  ValidationError,
} from '../../functions/domain/errors.js';
import {
  type ApprovalRule,
  type Grant,
  type GrantRequest,
  openGrant,
  type Transition,
} from '../../functions/domain/grant.js';
import { verifySigned } from '../helpers/signedChains.js';
import { thrownBy } from '../helpers/thrown.js';

const T0 = new Date('2026-11-23T09:00:00.000Z');
const at = (secondsAfterT0: number): Date => new Date(T0.getTime() + secondsAfterT0 * 1000);

const ROLE: CatalogRole = {
  id: 'prod-admin',
  description: 'Administrative changes in production',
  roleArn: 'arn:aws:iam::111122223333:role/jit/prod-admin',
  accountId: '111122223333',
  maxDurationSeconds: 3600,
  scopeCeiling: { actions: ['*'], resources: ['*'] },
};
const SINGLE: CatalogRole = { ...ROLE, id: 'prod-read' };
/** The approval rule a policy decision would give each role (see config/policies). */
const RULES: Record<string, ApprovalRule> = {
  'prod-admin': {
    approvers: ['group:sre', 'dave'],
    required: 2,
    pendingWindowSeconds: 3600,
    maxDurationSeconds: 3600,
    source: ['prod-admin-two-approvers'],
  },
  'prod-read': {
    approvers: ['group:sre', 'dave'],
    required: 1,
    pendingWindowSeconds: 3600,
    maxDurationSeconds: 3600,
    source: ['prod-read-sre-approves'],
  },
};

const REQUEST: GrantRequest = {
  role: 'prod-admin',
  scope: { actions: ['s3:GetObject'], resources: ['arn:aws:s3:::example-bucket/*'] },
  durationSeconds: 1800,
  reason: 'debug the failing nightly export',
  ticket: 'INC-1234',
};

const alice: Caller = { userId: 'alice', groups: ['developers'] };
const bob: Caller = { userId: 'bob', groups: ['sre'] };
const carol: Caller = { userId: 'carol', groups: ['sre'] };
const dave: Caller = { userId: 'dave', groups: ['security'] };
const erin: Caller = { userId: 'erin', groups: ['developers'] };

const open = (role: CatalogRole = ROLE, request: Partial<GrantRequest> = {}, requester = 'alice'): Transition =>
  openGrant({
    id: 'g-01jtest0000000000000000000',
    requester,
    request: { ...REQUEST, role: role.id, ...request },
    role,
    rule: RULES[role.id]!,
    catalogVersion: '2026-11-23.1',
    narrowed: { sessionPolicy: '{"Version":"2012-10-17","Statement":[]}', privilegeWidth: 1 },
    now: T0,
  });

const pending = (role: CatalogRole = ROLE): Grant => open(role).grant;
const approvedGrant = (): Grant => approve(pending(SINGLE), bob, at(60)).grant;

describe('openGrant', () => {
  it('opens a PENDING grant at version 1 with the approval rule copied from the role', () => {
    const { grant, event } = open();
    expect(grant).toMatchObject({
      id: 'g-01jtest0000000000000000000',
      requester: 'alice',
      roleId: 'prod-admin',
      roleArn: ROLE.roleArn,
      accountId: '111122223333',
      state: 'PENDING',
      version: 1,
      createdAt: '2026-11-23T09:00:00.000Z',
      pendingUntil: '2026-11-23T10:00:00.000Z',
      approvers: ['group:sre', 'dave'],
      requiredApprovals: 2,
      approvals: [],
      ticket: 'INC-1234',
      catalogVersion: '2026-11-23.1',
      chainHead: event.hash,
    });
    expect(grant.expiresAt).toBeUndefined();
    expect(event).toMatchObject({ type: 'grant.requested', actor: 'alice', seq: 1, prevHash: GENESIS_HASH });
    expect(event.toState).toBe('PENDING');
    expect(event.fromState).toBeUndefined();
  });

  it('leaves ticket out of the grant when the request has none', () => {
    const { grant } = open(ROLE, { ticket: undefined });
    expect('ticket' in grant).toBe(false);
  });

  it.each([
    ['below the STS minimum', 899],
    ['above the role maximum', 3601],
    ['zero', 0],
    ['negative', -900],
  ])('rejects a duration %s with DURATION_OUT_OF_RANGE', (_what, durationSeconds) => {
    const error = thrownBy(() => open(ROLE, { durationSeconds }));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ code: 'DURATION_OUT_OF_RANGE', kind: 'invalid' });
    expect((error as Error).message).toContain('between 900 (15m) and 3600 (1h) for role prod-admin');
    expect((error as Error).message).toMatch(new RegExp(`\\(got ${durationSeconds}[,)]`));
  });

  it('says a duration in the units people type as well as in seconds', () => {
    expect(thrownBy(() => open(ROLE, { durationSeconds: 36_000 }))).toMatchObject({
      message: expect.stringContaining('between 900 (15m) and 3600 (1h) for role prod-admin (got 36000, 10h)'),
    });
  });

  it.each([900, 3600])('accepts the boundary duration %i', (durationSeconds) => {
    expect(open(ROLE, { durationSeconds }).grant.durationSeconds).toBe(durationSeconds);
  });
});

describe('approve', () => {
  it('keeps the grant PENDING after the first of two required approvals', () => {
    const { grant, event } = approve(pending(), bob, at(60), 'looks fine');
    expect(grant.state).toBe('PENDING');
    expect(grant.approvals).toEqual([{ by: 'bob', at: at(60).toISOString(), comment: 'looks fine' }]);
    expect(grant.approvedAt).toBeUndefined();
    expect(grant.expiresAt).toBeUndefined();
    expect(event).toMatchObject({
      type: 'grant.approval-recorded',
      actor: 'bob',
      fromState: 'PENDING',
      toState: 'PENDING',
      details: { approvals: 1, required: 2 },
    });
  });

  it('makes the grant APPROVED when the second distinct approver approves', () => {
    const first = approve(pending(), bob, at(60));
    const { grant, event } = approve(first.grant, dave, at(120));
    expect(grant.state).toBe('APPROVED');
    expect(grant.approvals.map((a) => a.by)).toEqual(['bob', 'dave']);
    expect(grant.approvedAt).toBe(at(120).toISOString());
    expect(event).toMatchObject({
      type: 'grant.approved',
      actor: 'dave',
      fromState: 'PENDING',
      toState: 'APPROVED',
      details: { approvals: 2, required: 2, expiresAt: grant.expiresAt },
    });
  });

  it('accepts members of an approver group through Caller.groups', () => {
    const first = approve(pending(), bob, at(60));
    const second = approve(first.grant, carol, at(90));
    expect(second.grant.state).toBe('APPROVED');
    expect(second.grant.approvals.map((a) => a.by)).toEqual(['bob', 'carol']);
  });

  it('counts expiresAt from the approval, not from the request', () => {
    const approvedAt = at(45 * 60);
    const first = approve(pending(), bob, at(60));
    const { grant } = approve(first.grant, dave, approvedAt);
    expect(grant.expiresAt).toBe(new Date(approvedAt.getTime() + 1800 * 1000).toISOString());
    expect(grant.expiresAt).toBe('2026-11-23T10:15:00.000Z');
    expect(grant.expiresAt).not.toBe(new Date(T0.getTime() + 1800 * 1000).toISOString());
  });

  it('rejects the requester approving their own grant with SELF_APPROVAL', () => {
    // bob is in sre, so he would otherwise be a legitimate approver.
    const own = open(ROLE, {}, 'bob').grant;
    const error = thrownBy(() => approve(own, bob, at(60)));
    expect(error).toBeInstanceOf(ForbiddenError);
    expect(error).toMatchObject({ code: 'SELF_APPROVAL', kind: 'forbidden' });
    expect((error as Error).message).toContain('cannot approve it');
  });

  it('rejects a caller who is neither a listed user nor in a listed group with NOT_AN_APPROVER', () => {
    const error = thrownBy(() => approve(pending(), erin, at(60)));
    expect(error).toBeInstanceOf(ForbiddenError);
    expect(error).toMatchObject({ code: 'NOT_AN_APPROVER', kind: 'forbidden' });
    expect((error as Error).message).toContain('approvers: group:sre, dave');
  });

  it('rejects a caller whose user id only looks like a group name with NOT_AN_APPROVER', () => {
    const error = thrownBy(() => approve(pending(), { userId: 'sre', groups: [] }, at(60)));
    expect(error).toMatchObject({ code: 'NOT_AN_APPROVER' });
  });

  it('rejects the same approver approving twice with ALREADY_APPROVED', () => {
    const first = approve(pending(), bob, at(60));
    const error = thrownBy(() => approve(first.grant, bob, at(120)));
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ code: 'ALREADY_APPROVED', kind: 'conflict' });
  });

  it('rejects approving at or after pendingUntil with GRANT_EXPIRED', () => {
    const grant = pending();
    expect(thrownBy(() => approve(grant, bob, at(3600)))).toMatchObject({ code: 'GRANT_EXPIRED', kind: 'conflict' });
    expect(thrownBy(() => approve(grant, bob, at(7200)))).toMatchObject({ code: 'GRANT_EXPIRED' });
  });

  it('accepts an approval one millisecond before pendingUntil', () => {
    const { grant } = approve(pending(SINGLE), bob, new Date(T0.getTime() + 3600 * 1000 - 1));
    expect(grant.state).toBe('APPROVED');
  });

  it('rejects approving a grant that is already APPROVED with ILLEGAL_TRANSITION', () => {
    const error = thrownBy(() => approve(approvedGrant(), carol, at(120)));
    expect(error).toBeInstanceOf(IllegalTransitionError);
    expect(error).toMatchObject({ code: 'ILLEGAL_TRANSITION' });
  });
});

describe('deny', () => {
  it('ends the grant in DENIED with endedAt and the comment in the event', () => {
    const { grant, event } = deny(pending(), bob, at(300), 'use the read-only role');
    expect(grant.state).toBe('DENIED');
    expect(grant.endedAt).toBe(at(300).toISOString());
    expect(event).toMatchObject({
      type: 'grant.denied',
      actor: 'bob',
      fromState: 'PENDING',
      toState: 'DENIED',
      details: { comment: 'use the read-only role' },
    });
  });

  it('lets a single approver deny even when two approvals are required', () => {
    expect(deny(approve(pending(), bob, at(60)).grant, dave, at(90), 'no').grant.state).toBe('DENIED');
  });

  it('rejects the requester denying their own grant with SELF_APPROVAL', () => {
    expect(thrownBy(() => deny(open(ROLE, {}, 'bob').grant, bob, at(60), 'no'))).toMatchObject({
      code: 'SELF_APPROVAL',
      kind: 'forbidden',
    });
  });

  it('rejects a non-approver with NOT_AN_APPROVER', () => {
    expect(thrownBy(() => deny(pending(), erin, at(60), 'no'))).toMatchObject({ code: 'NOT_AN_APPROVER' });
  });

  it('rejects denying past pendingUntil with GRANT_EXPIRED', () => {
    expect(thrownBy(() => deny(pending(), bob, at(3601), 'too late'))).toMatchObject({ code: 'GRANT_EXPIRED' });
  });

  it('rejects denying an APPROVED grant with ILLEGAL_TRANSITION', () => {
    expect(thrownBy(() => deny(approvedGrant(), carol, at(120), 'no'))).toMatchObject({
      code: 'ILLEGAL_TRANSITION',
    });
  });
});

describe('cancel', () => {
  it('lets the requester withdraw a PENDING grant', () => {
    const { grant, event } = cancel(pending(), alice, at(30), 'not needed any more');
    expect(grant.state).toBe('CANCELLED');
    expect(grant.endedAt).toBe(at(30).toISOString());
    expect(event).toMatchObject({
      type: 'grant.cancelled',
      actor: 'alice',
      fromState: 'PENDING',
      toState: 'CANCELLED',
      details: { comment: 'not needed any more' },
    });
  });

  it('lets the requester withdraw an APPROVED grant', () => {
    const { grant, event } = cancel(approvedGrant(), alice, at(120));
    expect(grant.state).toBe('CANCELLED');
    expect(event.fromState).toBe('APPROVED');
  });

  it.each([
    ['an approver', bob],
    ['another developer', erin],
  ])('rejects %s cancelling with NOT_REQUESTER', (_who, who) => {
    const error = thrownBy(() => cancel(pending(), who, at(30)));
    expect(error).toBeInstanceOf(ForbiddenError);
    expect(error).toMatchObject({ code: 'NOT_REQUESTER', kind: 'forbidden' });
    expect((error as Error).message).toContain('only alice');
  });

  it('rejects cancelling a grant that has already ended with ILLEGAL_TRANSITION', () => {
    const denied = deny(pending(), bob, at(60), 'no').grant;
    expect(thrownBy(() => cancel(denied, alice, at(120)))).toMatchObject({ code: 'ILLEGAL_TRANSITION' });
  });
});

describe('expirePending', () => {
  it('returns undefined while the pending window is still open', () => {
    expect(expirePending(pending(), at(0))).toBeUndefined();
    expect(expirePending(pending(), at(3599))).toBeUndefined();
  });

  it('expires the grant as the system once the window has ended', () => {
    const grant = pending();
    const transition = expirePending(grant, at(3600));
    expect(transition).toBeDefined();
    expect(transition?.grant.state).toBe('EXPIRED');
    expect(transition?.grant.endedAt).toBe(at(3600).toISOString());
    expect(transition?.event).toMatchObject({
      type: 'grant.expired',
      actor: SYSTEM_ACTOR,
      fromState: 'PENDING',
      toState: 'EXPIRED',
      details: { pendingUntil: grant.pendingUntil },
    });
    expect(SYSTEM_ACTOR).toBe('system');
  });

  it('returns undefined for a grant that is no longer PENDING', () => {
    expect(expirePending(approvedGrant(), at(7200))).toBeUndefined();
  });
});

describe('grant versioning', () => {
  it('increments the version and chains each event to the previous head', async () => {
    const opened = open();
    const steps: Transition[] = [opened];
    steps.push(approve(steps.at(-1)!.grant, bob, at(60)));
    steps.push(approve(steps.at(-1)!.grant, dave, at(120)));
    steps.push(cancel(steps.at(-1)!.grant, alice, at(180)));

    steps.forEach(({ grant, event }, index) => {
      expect(grant.version).toBe(index + 1);
      expect(event.seq).toBe(grant.version);
      expect(event.grantId).toBe(grant.id);
      expect(grant.chainHead).toBe(event.hash);
      expect(event.prevHash).toBe(index === 0 ? GENESIS_HASH : steps[index - 1]!.grant.chainHead);
    });

    const last = steps.at(-1)!.grant;
    expect(await verifySigned(steps)).toMatchObject({ valid: true, length: 4, head: last.chainHead });
  });

  it('does not change the grant it was given', () => {
    const grant = pending();
    const snapshot = structuredClone(grant);
    approve(grant, bob, at(60));
    expect(grant).toEqual(snapshot);
  });

  it('throws only broker errors for rejected decisions', () => {
    expect(thrownBy(() => approve(pending(), erin, at(60)))).toBeInstanceOf(BrokerError);
  });
});

describe('closeReview', () => {
  const SECURITY = ['group:security'];
  /** A break-glass grant taken by `requester`, auto-approved by the break-glass policy. */
  const brokenGlass = (requester: string): Grant =>
    autoApprove(open(ROLE, { breakGlass: true }, requester).grant, 'break-glass-oncall', at(1)).grant;

  it("lets security close the review of someone else's break-glass grant", () => {
    const { grant } = closeReview(brokenGlass('carol'), dave, SECURITY, at(600), 'incident INC-1, fine');
    expect(grant.review).toMatchObject({ reviewedBy: 'dave', comment: 'incident INC-1, fine' });
  });

  it('refuses the requester their own review with 403 SELF_REVIEW, even when they are security', () => {
    const error = thrownBy(() => closeReview(brokenGlass('dave'), dave, SECURITY, at(600), 'all good, trust me'));
    expect(error).toBeInstanceOf(ForbiddenError);
    expect(error).toMatchObject({ code: 'SELF_REVIEW' });
  });
});
