import { runSimulation } from '@cloud-copilot/iam-simulate';
import { describe, expect, it } from 'vitest';
import { iamDataActionCatalog } from '../../functions/adapters/iamDataActionCatalog.js';
import { narrowScope } from '../../functions/app/narrowScope.js';
import type { CatalogRole } from '../../functions/domain/catalog.js';
import { ValidationError } from '../../functions/domain/errors.js';
import type { TaskScope } from '../../functions/domain/grant.js';
import { KILL_POLICY_NAME } from '../../functions/domain/sessionKill.js';

/**
 * The guards, judged by an independent IAM evaluator (@cloud-copilot/iam-simulate, AGPL: a
 * devDependency used only in tests) on the session policies the broker really renders for a role
 * whose own policy allows everything: whatever is denied, the session policy denies.
 */
const ACCOUNT = '123456789012';
const TARGET_ROLE = `arn:aws:iam::${ACCOUNT}:role/jit/prod-admin`;
const PRINCIPAL = `arn:aws:sts::${ACCOUNT}:assumed-role/prod-admin/alice.g-01jguard`;
const OTHER_ROLE = `arn:aws:iam::${ACCOUNT}:role/deploy-everything`;
const USER = `arn:aws:iam::${ACCOUNT}:user/mallory`;
/** What IAM puts in the request context for a target role: its tag, and no other. */
const MANAGED = { 'iam:ResourceTag/jit-broker:managed': 'true' };

const ROLE: CatalogRole = {
  id: 'prod-admin',
  description: 'Administrative changes',
  roleArn: TARGET_ROLE,
  accountId: ACCOUNT,
  maxDurationSeconds: 3600,
  scopeCeiling: { actions: ['*'], resources: ['*'] },
};
const EVERYTHING = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

const catalog = iamDataActionCatalog();
const narrowed = (actions: readonly string[], resources: readonly string[] = ['*']) =>
  narrowScope(catalog, ROLE, { actions, resources });

interface Attempt {
  readonly action: string;
  readonly resource: string;
  readonly context?: Record<string, string | string[]>;
}

/** The evaluator's decision for one request made with the session. */
const decide = async ({ action, resource, context = {} }: Attempt, sessionPolicy: string): Promise<string> => {
  const result = await runSimulation(
    {
      request: {
        principal: PRINCIPAL,
        action,
        resource: { resource, accountId: ACCOUNT },
        contextVariables: { 'aws:SourceIdentity': 'g-01jguard', ...context },
      },
      identityPolicies: [{ name: 'role', policy: EVERYTHING }],
      sessionPolicy: JSON.parse(sessionPolicy),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {}
  );
  if (result.resultType === 'error') throw new Error(`simulation failed: ${JSON.stringify(result.errors)}`);
  return result.overallResult;
};

/** What a session that must not outlive its grant tries. */
const ESCAPES: readonly [string, Attempt][] = [
  ['chain into another role', { action: 'sts:AssumeRole', resource: OTHER_ROLE }],
  ['chain through web identity', { action: 'sts:AssumeRoleWithWebIdentity', resource: OTHER_ROLE }],
  ['chain through SAML', { action: 'sts:AssumeRoleWithSAML', resource: OTHER_ROLE }],
  ['get a session token', { action: 'sts:GetSessionToken', resource: '*' }],
  [
    'get a federation token',
    { action: 'sts:GetFederationToken', resource: `arn:aws:sts::${ACCOUNT}:federated-user/m` },
  ],
  ['create an access key', { action: 'iam:CreateAccessKey', resource: USER }],
  ['re-activate an access key', { action: 'iam:UpdateAccessKey', resource: USER }],
  ['create a console password', { action: 'iam:CreateLoginProfile', resource: USER }],
  ['create a user', { action: 'iam:CreateUser', resource: USER }],
  ['create a role', { action: 'iam:CreateRole', resource: OTHER_ROLE }],
  ['trust another principal', { action: 'iam:UpdateAssumeRolePolicy', resource: OTHER_ROLE }],
  ['attach admin to a user', { action: 'iam:AttachUserPolicy', resource: USER }],
  ['pass a role to new compute', { action: 'iam:PassRole', resource: OTHER_ROLE }],
  [`overwrite ${KILL_POLICY_NAME}`, { action: 'iam:PutRolePolicy', resource: TARGET_ROLE, context: MANAGED }],
  [`delete ${KILL_POLICY_NAME}`, { action: 'iam:DeleteRolePolicy', resource: TARGET_ROLE, context: MANAGED }],
  [
    'untag the managed tag',
    { action: 'iam:UntagRole', resource: TARGET_ROLE, context: { ...MANAGED, 'aws:TagKeys': ['jit-broker:managed'] } },
  ],
  [
    'untag the managed tag spelt in capitals (IAM tag keys ignore case)',
    { action: 'iam:UntagRole', resource: TARGET_ROLE, context: { ...MANAGED, 'aws:TagKeys': ['JIT-Broker:Managed'] } },
  ],
  [
    'retag the role managed=false',
    {
      action: 'iam:TagRole',
      resource: TARGET_ROLE,
      context: { ...MANAGED, 'aws:TagKeys': ['jit-broker:managed'], 'aws:RequestTag/jit-broker:managed': 'false' },
    },
  ],
];

/** Whether a grant of `pattern` (`*` or `service:*`) would allow `action` without the guards. */
const reaches = (pattern: string, action: string) => pattern === '*' || action.startsWith(pattern.slice(0, -1));

describe.each(['*', 'iam:*', 'sts:*'])('a grant of %s', (pattern) => {
  it.each(ESCAPES)('cannot %s', async (_name, attempt) => {
    const { sessionPolicy, outlivingActions } = await narrowed([pattern]);
    // Denied explicitly by a guard wherever the grant's allow would reach it; not allowed anyway elsewhere.
    const expected = reaches(pattern, attempt.action) ? 'ExplicitlyDenied' : 'ImplicitlyDenied';
    expect(await decide(attempt, sessionPolicy)).toBe(expected);
    expect(outlivingActions).toEqual([]);
  });
});

describe('the guards deny only what could outlive the grant', () => {
  it.each([
    ['read data', { action: 's3:GetObject', resource: 'arn:aws:s3:::example-bucket/k' }],
    ['list roles', { action: 'iam:ListRoles', resource: '*' }],
    ['delete a leaked access key', { action: 'iam:DeleteAccessKey', resource: USER }],
    ['read a login profile', { action: 'iam:GetLoginProfile', resource: USER }],
    ['delete an inline policy of an unmanaged role', { action: 'iam:DeleteRolePolicy', resource: OTHER_ROLE }],
    [
      'tag a target role with another key',
      { action: 'iam:TagRole', resource: TARGET_ROLE, context: { ...MANAGED, 'aws:TagKeys': ['team'] } },
    ],
    ['ask who it is', { action: 'sts:GetCallerIdentity', resource: '*' }],
    [
      'reboot an instance',
      { action: 'ec2:RebootInstances', resource: `arn:aws:ec2:eu-central-1:${ACCOUNT}:instance/i-1` },
    ],
  ])('a * grant may still %s', async (_name, attempt) => {
    expect(await decide(attempt, (await narrowed(['*'])).sessionPolicy)).toBe('Allowed');
  });

  it('adds no guard text to a narrow grant', async () => {
    const { sessionPolicy } = await narrowed(['s3:GetObject'], ['arn:aws:s3:::example-bucket/*']);
    expect(sessionPolicy).not.toContain('JitGuard');
    expect(sessionPolicy).not.toContain('Deny');
    expect(JSON.parse(sessionPolicy).Statement).toHaveLength(1);
  });
});

describe('a grant that names a guarded action exactly', () => {
  it('may chain with sts:AssumeRole, and is flagged as one that may outlive the kill', async () => {
    const grant = await narrowed(['sts:AssumeRole'], [OTHER_ROLE]);
    expect(await decide({ action: 'sts:AssumeRole', resource: OTHER_ROLE }, grant.sessionPolicy)).toBe('Allowed');
    expect(grant.outlivingActions).toEqual(['sts:AssumeRole']);
    expect(grant.sessionPolicy).not.toContain('JitGuard');
  });

  it('keeps only what it names: * plus sts:AssumeRole still may not create access keys or chain through SAML', async () => {
    const grant = await narrowed(['*', 'sts:AssumeRole']);
    expect(grant.outlivingActions).toEqual(['sts:AssumeRole']);
    expect(await decide({ action: 'sts:AssumeRole', resource: OTHER_ROLE }, grant.sessionPolicy)).toBe('Allowed');
    for (const [, attempt] of ESCAPES.filter(([, a]) => a.action !== 'sts:AssumeRole')) {
      expect(await decide(attempt, grant.sessionPolicy), attempt.action).toBe('ExplicitlyDenied');
    }
  });

  it('iam:* plus iam:PutRolePolicy may write the kill policy, but still not delete it or untag the role', async () => {
    const grant = await narrowed(['iam:*', 'iam:PutRolePolicy']);
    expect(grant.outlivingActions).toEqual(['iam:PutRolePolicy']);
    const [, put] = ESCAPES.find(([, a]) => a.action === 'iam:PutRolePolicy')!;
    const [, remove] = ESCAPES.find(([, a]) => a.action === 'iam:DeleteRolePolicy')!;
    const [, untag] = ESCAPES.find(([, a]) => a.action === 'iam:UntagRole')!;
    expect(await decide(put, grant.sessionPolicy)).toBe('Allowed');
    expect(await decide(remove, grant.sessionPolicy)).toBe('ExplicitlyDenied');
    expect(await decide(untag, grant.sessionPolicy)).toBe('ExplicitlyDenied');
  });

  it('is not flagged through a wildcard: sts:Assume* is guarded like *', async () => {
    const grant = await narrowed(['sts:Assume*']);
    expect(grant.outlivingActions).toEqual([]);
    expect(await decide({ action: 'sts:AssumeRole', resource: OTHER_ROLE }, grant.sessionPolicy)).toBe(
      'ExplicitlyDenied'
    );
  });
});

describe('the 2,048-character limit counts the guards', () => {
  /** Resources long enough that a * grant's guards push the policy over the limit, and a narrow one fits. */
  const resources = Array.from(
    { length: 12 },
    (_, i) => `arn:aws:s3:::example-incident-evidence-bucket-${i}/forensics/2026-11-23/*`
  );
  const scope = (actions: readonly string[]): TaskScope => ({ actions, resources });

  it('fits a narrow task on these resources', async () => {
    const grant = await narrowScope(catalog, ROLE, scope(['s3:GetObject']));
    expect(grant.sessionPolicy.length).toBeLessThan(2048);
  });

  it('refuses * on them, saying how much the guards take and that * brought them', async () => {
    const error = await narrowScope(catalog, ROLE, scope(['*'])).then(
      () => undefined,
      (reason: unknown) => reason
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ code: 'SESSION_POLICY_TOO_LARGE' });
    const { message } = error as ValidationError;
    const guardChars = Number(/\((\d+) of them are the guards/.exec(message)?.[1]);
    expect(guardChars).toBeGreaterThan(1000);
    expect(message).toContain("there because '*' reach sts:AssumeRo");
    expect(message).toContain('name the services the task needs instead of broad wildcards');
    expect(message).toContain('at most 2048');
  });
});
