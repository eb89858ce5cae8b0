import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  type IAMClient,
  ListAttachedRolePoliciesCommand,
} from '@aws-sdk/client-iam';
// AGPL-3.0: the sandbox and the tests only (a devDependency), never a Lambda bundle or the CLI.
import {
  isWildcardOnlyAction,
  type RequestAnalysis,
  type RunSimulationResults,
  runSimulation,
} from '@cloud-copilot/iam-simulate';
import { IamRolePolicies, roleArnParts } from '../functions/adapters/aws/iamRolePolicies.js';
import type { Denial, DenialReason } from './accessDenied.js';
import type { AwsRequest } from './awsRequests.js';
import type { VendedSession } from './vendedSessions.js';

/**
 * IAM for the sandbox: decides each call made with a vended session as AWS would — the target
 * role's identity policies (its managed ceiling, the broker's kill policy, any other inline policy)
 * and permissions boundary, intersected with the session policy — with the independent evaluator
 * @cloud-copilot/iam-simulate. The role's policies are read from the emulator's IAM and kept for a
 * short while, like IAM's own propagation: a new kill applies within {@link ROLE_POLICIES_TTL_MS}.
 */

/** How long the role's policies are reused before IAM is read again. */
const ROLE_POLICIES_TTL_MS = 1000;

/** Actions no IAM policy can deny (STS API Reference, GetCallerIdentity: "No permissions are required"). */
const NEVER_DENIED = new Set(['sts:GetCallerIdentity']);

interface NamedPolicy {
  readonly name: string;
  readonly document: unknown;
}

interface RoleFacts {
  readonly roleId: string;
  readonly tags: Readonly<Record<string, string>>;
  /** Inline and attached managed policies. */
  readonly identityPolicies: readonly NamedPolicy[];
  readonly permissionsBoundary?: NamedPolicy;
}

interface RoleFactsSource {
  read(roleArn: string): Promise<RoleFacts>;
}

type Decision = { readonly allowed: true } | { readonly allowed: false; readonly refusal: Denial | string };

/** Decides one call of a vended session (the recording proxy asks before it forwards). */
type Enforce = (session: VendedSession, request: AwsRequest, sourceIp: string) => Promise<Decision>;

/** IAM returns policy documents URL-encoded (moto does for inline policies, not for managed versions). */
const parsePolicy = (text: string): unknown =>
  JSON.parse(text.trimStart().startsWith('{') ? text : decodeURIComponent(text));

/** The role's facts as IAM (the emulator) holds them now. */
const iamRoleFacts = (iam: IAMClient): RoleFactsSource => {
  const inline = new IamRolePolicies(iam);
  const managed = async (policyArn: string, name: string): Promise<NamedPolicy> => {
    const { Policy: policy } = await iam.send(new GetPolicyCommand({ PolicyArn: policyArn }));
    const { PolicyVersion: version } = await iam.send(
      new GetPolicyVersionCommand({ PolicyArn: policyArn, VersionId: policy?.DefaultVersionId })
    );
    return { name, document: parsePolicy(version?.Document ?? '{}') };
  };
  const attachedTo = async (roleName: string): Promise<NamedPolicy[]> => {
    const arns: { arn: string; name: string }[] = [];
    let marker: string | undefined;
    do {
      const page = await iam.send(
        new ListAttachedRolePoliciesCommand({ RoleName: roleName, ...(marker ? { Marker: marker } : {}) })
      );
      for (const p of page.AttachedPolicies ?? [])
        if (p.PolicyArn) arns.push({ arn: p.PolicyArn, name: p.PolicyName ?? p.PolicyArn });
      marker = page.IsTruncated ? page.Marker : undefined;
    } while (marker !== undefined);
    return Promise.all(arns.map((p) => managed(p.arn, p.name)));
  };
  return {
    read: async (roleArn) => {
      const roleName = roleArnParts(roleArn).name;
      // Three independent reads, sent together: this runs once per role per TTL, on a call's path.
      const [{ Role: role }, attached, inlinePolicies] = await Promise.all([
        iam.send(new GetRoleCommand({ RoleName: roleName })),
        attachedTo(roleName),
        inline.list(roleArn),
      ]);
      const boundaryArn = role?.PermissionsBoundary?.PermissionsBoundaryArn;
      return {
        roleId: role?.RoleId ?? 'AROASANDBOX',
        tags: Object.fromEntries((role?.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
        identityPolicies: [
          ...attached,
          ...inlinePolicies.map((p) => ({ name: p.name, document: parsePolicy(p.document) })),
        ],
        ...(boundaryArn ? { permissionsBoundary: await managed(boundaryArn, boundaryArn) } : {}),
      };
    },
  };
};

/** Reuses a role's facts for `ttlMs`; concurrent calls share one read, and a failed read is not kept. */
const cachedRoleFacts = (source: RoleFactsSource, ttlMs: number, nowMs: () => number = Date.now): RoleFactsSource => {
  const entries = new Map<string, { readAt: number; facts: Promise<RoleFacts> }>();
  return {
    read: (roleArn) => {
      const hit = entries.get(roleArn);
      if (hit !== undefined && nowMs() - hit.readAt < ttlMs) return hit.facts;
      const facts = source.read(roleArn);
      entries.set(roleArn, { readAt: nowMs(), facts });
      facts.catch(() => {
        if (entries.get(roleArn)?.facts === facts) entries.delete(roleArn);
      });
      return facts;
    },
  };
};

/** The account of an IAM ARN: `arn:aws:iam::123456789012:role/…` → `123456789012`. */
const accountOf = (roleArn: string): string => /^arn:[\w-]+:iam::(\d{12}):/.exec(roleArn)?.[1] ?? '';

/** The request context AWS builds for a call with an assumed-role session (global condition keys). */
const contextFor = (
  session: VendedSession,
  role: RoleFacts,
  request: Pick<AwsRequest, 'region'>,
  now: Date,
  sourceIp: string
): Record<string, string> => {
  // Session tags override the role's tags of the same key.
  const tags = { ...role.tags, ...session.tags };
  return {
    'aws:SourceIdentity': session.sourceIdentity,
    'aws:TokenIssueTime': session.issuedAt,
    'aws:CurrentTime': now.toISOString(),
    'aws:EpochTime': String(Math.floor(now.getTime() / 1000)),
    'aws:userid': `${role.roleId}:${session.sessionName}`,
    'aws:PrincipalArn': session.roleArn,
    'aws:PrincipalAccount': accountOf(session.roleArn),
    'aws:PrincipalType': 'AssumedRole',
    'aws:RequestedRegion': request.region,
    'aws:SecureTransport': 'false',
    'aws:SourceIp': sourceIp,
    ...Object.fromEntries(Object.entries(tags).map(([key, value]) => [`aws:PrincipalTag/${key}`, value])),
  };
};

const analysesOf = (result: RunSimulationResults): RequestAnalysis[] => {
  if (result.resultType === 'single') return [result.result.analysis];
  if (result.resultType === 'wildcard') return result.results.map((r) => r.analysis);
  return [];
};

/**
 * Which policy refused, in the order IAM reports it: an explicit deny first (identity-based, then
 * session, then boundary), else the first kind of policy that allows nothing.
 */
const reasonOf = (analyses: readonly RequestAnalysis[]): DenialReason => {
  const kinds: [keyof RequestAnalysis, string][] = [
    ['identityAnalysis', 'identity-based'],
    ['sessionAnalysis', 'session'],
    ['permissionBoundaryAnalysis', 'permissions boundary'],
  ];
  const result = (a: RequestAnalysis, kind: keyof RequestAnalysis) =>
    (a[kind] as { result?: string } | undefined)?.result;
  for (const explicit of [true, false]) {
    for (const [kind, policyType] of kinds) {
      const hit = analyses.some((a) => {
        const r = result(a, kind);
        return explicit ? r === 'ExplicitlyDenied' : r !== undefined && r !== 'Allowed';
      });
      if (hit) return { explicit, policyType };
    }
  }
  return { explicit: false, policyType: 'identity-based' };
};

/**
 * Decides one call of `session`. Fails closed: an action this sandbox cannot name, or a role it
 * cannot read, is refused with a message that says so (AWS would have decided the real action).
 */
const decideCall = async (input: {
  session: VendedSession;
  request: Pick<AwsRequest, 'action' | 'resources' | 'region' | 'service' | 'operation'>;
  roles: RoleFactsSource;
  now: Date;
  sourceIp: string;
}): Promise<Decision> => {
  const { session, request } = input;
  const { action } = request;
  if (action !== undefined && NEVER_DENIED.has(action)) return { allowed: true };
  const refuse = (why: string): Decision => ({
    allowed: false,
    refusal:
      `User: ${session.assumedRoleArn} is not authorized to perform ${action ?? `this ${request.service} call`}: ` +
      `the sandbox ${why}, so it refuses (AWS would evaluate the real action)`,
  });
  if (action === undefined) return refuse(`cannot tell which IAM action the ${request.service} call needs`);
  const [prefix, name] = action.split(':') as [string, string];
  const wildcardOnly = await isWildcardOnlyAction(prefix, name).catch(() => undefined);
  if (wildcardOnly === undefined) return refuse('does not know this IAM action');
  let role: RoleFacts;
  try {
    role = await input.roles.read(session.roleArn);
  } catch (error) {
    return refuse(`could not read the policies of ${session.roleArn}: ${(error as Error).message}`);
  }
  const account = accountOf(session.roleArn);
  const contextVariables = contextFor(session, role, request, input.now, input.sourceIp);
  for (const resource of wildcardOnly || request.resources.length === 0 ? ['*'] : request.resources) {
    const result = await runSimulation(
      {
        request: {
          principal: session.assumedRoleArn,
          action,
          resource: { resource, accountId: account },
          contextVariables,
        },
        identityPolicies: role.identityPolicies.map((p) => ({ name: p.name, policy: p.document })),
        sessionPolicy: JSON.parse(session.policy),
        ...(role.permissionsBoundary
          ? {
              permissionBoundaryPolicies: [
                { name: role.permissionsBoundary.name, policy: role.permissionsBoundary.document },
              ],
            }
          : {}),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
      },
      {}
    );
    if (result.resultType === 'error') return refuse(`could not evaluate it (${result.errors.message})`);
    if (result.overallResult !== 'Allowed') {
      return {
        allowed: false,
        refusal: { principalArn: session.assumedRoleArn, action, resource, reason: reasonOf(analysesOf(result)) },
      };
    }
  }
  return { allowed: true };
};

/** The sandbox's IAM on the emulator's IAM: role policies re-read every `ttlMs`. */
const sandboxIam = (input: { iam: IAMClient; now: () => Date; ttlMs?: number }): Enforce => {
  const roles = cachedRoleFacts(iamRoleFacts(input.iam), input.ttlMs ?? ROLE_POLICIES_TTL_MS);
  return (session, request, sourceIp) => decideCall({ session, request, roles, now: input.now(), sourceIp });
};

export type { Decision, Enforce, NamedPolicy, RoleFacts, RoleFactsSource };
export { accountOf, cachedRoleFacts, decideCall, iamRoleFacts, ROLE_POLICIES_TTL_MS, sandboxIam };
