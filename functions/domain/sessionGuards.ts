import { globMatcher } from './globCovers.js';

/**
 * Guards: the deny statements every vended session policy carries so that access cannot outlive
 * its grant. The kill denies the grant's sessions on the target role; it cannot reach a session
 * chained into another role, credentials the session creates, or code it starts under another
 * role. So, unless the grant names them exactly, the session may not do any of that at all. Why
 * each action is here, with AWS sources: docs/vending.md ("Guards").
 */

/** One guarded pattern, as compact as IAM accepts, and the concrete actions it stands for today. */
interface Guard {
  readonly pattern: string;
  readonly actions: readonly string[];
}

interface GuardStatement {
  readonly sid: string;
  readonly guards: readonly Guard[];
  readonly condition?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** The tag every target role carries (infra/targetRole.ts); the broker's kill permissions require it. */
const MANAGED_TAG_KEY = 'jit-broker:managed';

const exact = (action: string): Guard => ({ pattern: action, actions: [action] });
const group = (pattern: string, actions: readonly string[]): Guard => ({ pattern, actions });

const GUARD_STATEMENTS: readonly GuardStatement[] = [
  {
    sid: 'JitGuard',
    guards: [
      // Sessions the kill does not reach: role chaining (and root sessions), and every STS token.
      group('sts:AssumeRo*', [
        'sts:AssumeRole',
        'sts:AssumeRoleWithSAML',
        'sts:AssumeRoleWithWebIdentity',
        'sts:AssumeRoot',
      ]),
      group('sts:Get*Token', [
        'sts:GetDelegatedAccessToken',
        'sts:GetFederationToken',
        'sts:GetServiceBearerToken',
        'sts:GetSessionToken',
        'sts:GetWebIdentityToken',
      ]),
      // Long-lived credentials for IAM users (created, or re-activated).
      group('iam:*ateAccessKey', ['iam:CreateAccessKey', 'iam:UpdateAccessKey']),
      group('iam:*ateLoginProfile', ['iam:CreateLoginProfile', 'iam:UpdateLoginProfile']),
      group('iam:*ateServiceSpecificCredential', [
        'iam:CreateServiceSpecificCredential',
        'iam:UpdateServiceSpecificCredential',
      ]),
      exact('iam:ResetServiceSpecificCredential'),
      group('iam:Up*SSHPublicKey', ['iam:UpdateSSHPublicKey', 'iam:UploadSSHPublicKey']),
      group('iam:Up*SigningCertificate', ['iam:UpdateSigningCertificate', 'iam:UploadSigningCertificate']),
      // New principals, and more privilege or trust for principals someone can use later.
      exact('iam:CreateRole'),
      exact('iam:CreateUser'),
      exact('iam:AddUserToGroup'),
      group('iam:Attach*Policy', ['iam:AttachGroupPolicy', 'iam:AttachRolePolicy', 'iam:AttachUserPolicy']),
      group('iam:Put*Policy', ['iam:PutGroupPolicy', 'iam:PutRolePolicy', 'iam:PutUserPolicy']),
      exact('iam:CreatePolicyVersion'),
      exact('iam:SetDefaultPolicyVersion'),
      group('iam:*PermissionsBoundary', [
        'iam:DeleteRolePermissionsBoundary',
        'iam:DeleteUserPermissionsBoundary',
        'iam:PutRolePermissionsBoundary',
        'iam:PutUserPermissionsBoundary',
      ]),
      exact('iam:UpdateAssumeRolePolicy'),
      group('iam:*ateSAMLProvider', ['iam:CreateSAMLProvider', 'iam:UpdateSAMLProvider']),
      // Code that runs under another role: every new compute identity passes a role.
      exact('iam:PassRole'),
      // Other issuers of AWS credentials: Identity Center, Roles Anywhere, Cognito identity pools, `aws login`.
      exact('sso:CreateAccountAssignment'),
      exact('sso:ProvisionPermissionSet'),
      exact('identitystore:CreateGroupMembership'),
      group('rolesanywhere:*ateTrustAnchor', ['rolesanywhere:CreateTrustAnchor', 'rolesanywhere:UpdateTrustAnchor']),
      exact('acm-pca:IssueCertificate'),
      exact('cognito-identity:SetIdentityPoolRoles'),
      exact('cognito-identity:UpdateIdentityPool'),
      exact('signin:AuthorizeOAuth2Access'),
      exact('signin:CreateOAuth2Token'),
      // The org-wide kill is an SCP: it must stay attached, unchanged, and over the account.
      exact('organizations:DetachPolicy'),
      exact('organizations:UpdatePolicy'),
      exact('organizations:DisablePolicyType'),
      exact('organizations:LeaveOrganization'),
    ],
  },
  {
    // The kill policy lives on target roles (PutRolePolicy is denied above, on every role).
    sid: 'JitGuardKill',
    guards: [exact('iam:DeleteRolePolicy')],
    condition: { StringEquals: { [`iam:ResourceTag/${MANAGED_TAG_KEY}`]: 'true' } },
  },
  {
    // Without its tag the broker may not write a role's kill policy. IAM tag keys ignore case.
    sid: 'JitGuardTag',
    guards: [group('iam:*agRole', ['iam:TagRole', 'iam:UntagRole'])],
    condition: { 'ForAnyValue:StringEqualsIgnoreCase': { 'aws:TagKeys': MANAGED_TAG_KEY } },
  },
];

const ACTION_CASE = { caseInsensitive: true } as const;
const WILDCARD = /[*?]/;

const GUARDED: ReadonlyMap<string, string> = new Map(
  GUARD_STATEMENTS.flatMap((s) => s.guards.flatMap((g) => g.actions)).map((a) => [a.toLowerCase(), a])
);

/**
 * The guarded actions a request names exactly (not through a wildcard), in canonical spelling:
 * the grant keeps them, and so may outlive its kill.
 */
const outlivingActions = (requested: readonly string[]): string[] => {
  const named = requested.filter((action) => !WILDCARD.test(action)).map((action) => GUARDED.get(action.toLowerCase()));
  return [...new Set(named.filter((action): action is string => action !== undefined))].sort();
};

/** What the guards add to one session policy. */
interface SessionGuards {
  /** Deny statements, ready for the policy's Statement list. */
  readonly statements: readonly Readonly<Record<string, unknown>>[];
  /** Guarded actions the task's allows would otherwise let the session do. */
  readonly denied: readonly string[];
  /** Of those, the ones denied everywhere (not only on broker-managed roles): the task no longer has them. */
  readonly withdrawn: readonly string[];
  /** The task's allowed patterns that reach a guarded action: what to narrow to shrink the guards. */
  readonly reachedThrough: readonly string[];
}

/**
 * The guards for a session allowed `allowed` (the session policy's Action list), except for what
 * `requested` names exactly. Only actions the allows could match are denied, so a narrow task
 * carries no guard at all; a guard's compact pattern is used unless the request names one of its
 * actions, which are then listed one by one.
 */
const sessionGuards = (allowed: readonly string[], requested: readonly string[]): SessionGuards => {
  const exempt = new Set(outlivingActions(requested));
  // Each pattern is prepared once here, not once per guarded action (this runs on every vend).
  const matchers = allowed.map((pattern) => ({ pattern, matches: globMatcher(pattern, ACTION_CASE) }));
  const reachable = (action: string) => matchers.some(({ matches }) => matches(action));
  const denied: string[] = [];
  const withdrawn: string[] = [];
  const statements = GUARD_STATEMENTS.flatMap(({ sid, guards, condition }) => {
    const actions = guards.flatMap(({ pattern, actions }) => {
      const needed = actions.filter((action) => reachable(action) && !exempt.has(action));
      denied.push(...needed);
      if (condition === undefined) withdrawn.push(...needed);
      if (needed.length === 0) return [];
      return actions.some((action) => exempt.has(action)) ? needed : [pattern];
    });
    if (actions.length === 0) return [];
    return [
      { Sid: sid, Effect: 'Deny', Action: actions, Resource: '*', ...(condition ? { Condition: condition } : {}) },
    ];
  });
  const reachedThrough = matchers
    .filter(({ matches }) => denied.some((action) => matches(action)))
    .map(({ pattern }) => pattern);
  return { statements, denied, withdrawn, reachedThrough };
};

export type { Guard, GuardStatement, SessionGuards };
export { GUARD_STATEMENTS, MANAGED_TAG_KEY, outlivingActions, sessionGuards };
