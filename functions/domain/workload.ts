import { NotAuthenticatedError } from './errors.js';

type CiPlatform = 'github' | 'gitlab';

/**
 * A CI job as the broker knows it, read from its verified OIDC token. Immutable ids (repository,
 * owner) identify it; names are for people and for templates. Never built from a request body.
 */
interface Workload {
  readonly platform: CiPlatform;
  /** The configured issuer's id (ci.json). */
  readonly issuerId: string;
  /** `owner/name` on GitHub, the project path on GitLab. */
  readonly repository: string;
  readonly repositoryId: string;
  readonly owner: string;
  readonly ownerId: string;
  readonly ref: string;
  /** `branch` or `tag` (or what the platform says). */
  readonly refType: string;
  readonly refProtected: boolean;
  /** "" when the job has none. */
  readonly environment: string;
  /** `job_workflow_ref` on GitHub, `ci_config_ref_uri` on GitLab: which pipeline definition runs. */
  readonly workflowRef: string;
  /** `event_name` on GitHub, `pipeline_source` on GitLab. */
  readonly eventName: string;
  readonly runnerEnvironment: string;
  readonly isForkPullRequest: boolean;
  /** The run (GitHub `run_id`, GitLab `pipeline_id`) and its attempt (GitLab: the job id). */
  readonly runId: string;
  readonly runAttempt: string;
  readonly actor: string;
  readonly subject: string;
}

/** The verified token: its claims, and which configured issuer signed it. */
interface VerifiedToken {
  readonly issuerId: string;
  readonly platform: CiPlatform;
  readonly claims: Readonly<Record<string, unknown>>;
  readonly jti: string;
  /** The token's `exp`: its jti is remembered until then. */
  readonly expiresAt: Date;
}

/** The requester id of a workload's grants: per platform and immutable repository id. */
const workloadRequester = (w: Pick<Workload, 'platform' | 'repositoryId'>): string =>
  `ci:${w.platform}:${w.repositoryId}`;

const text = (claims: Readonly<Record<string, unknown>>, name: string, required: boolean): string => {
  const value = claims[name];
  if (typeof value === 'string' && value.length <= 512) return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (value === undefined && !required) return '';
  throw new NotAuthenticatedError(
    'TOKEN_CLAIM_INVALID',
    value === undefined
      ? `the token has no '${name}' claim, which the broker needs to know the job`
      : `the token's '${name}' claim is not a short string`
  );
};

/**
 * GitHub's token does not say whether a pull request comes from a fork, so every `pull_request*`
 * event counts as one: fail closed, and let a policy say which pull request runs it trusts.
 */
const githubIsPullRequest = (eventName: string): boolean => eventName.startsWith('pull_request');

/** Both platforms send `ref_protected` as "true"/"false" (a boolean is accepted too); absent means unprotected. */
const refProtectedOf = (claims: Readonly<Record<string, unknown>>): boolean =>
  claims.ref_protected === true || claims.ref_protected === 'true';

const fromGithub = (token: VerifiedToken): Workload => {
  const c = token.claims;
  const eventName = text(c, 'event_name', true);
  const ref = text(c, 'ref', true);
  return {
    platform: 'github',
    issuerId: token.issuerId,
    repository: text(c, 'repository', true),
    repositoryId: text(c, 'repository_id', true),
    owner: text(c, 'repository_owner', true),
    ownerId: text(c, 'repository_owner_id', true),
    ref,
    refType: text(c, 'ref_type', false),
    refProtected: refProtectedOf(c),
    environment: text(c, 'environment', false),
    workflowRef: text(c, 'job_workflow_ref', true),
    eventName,
    runnerEnvironment: text(c, 'runner_environment', false),
    isForkPullRequest: githubIsPullRequest(eventName),
    runId: text(c, 'run_id', true),
    runAttempt: text(c, 'run_attempt', false) || '1',
    actor: text(c, 'actor', false),
    subject: text(c, 'sub', true),
  };
};

const fromGitlab = (token: VerifiedToken): Workload => {
  const c = token.claims;
  const eventName = text(c, 'pipeline_source', true);
  return {
    platform: 'gitlab',
    issuerId: token.issuerId,
    repository: text(c, 'project_path', true),
    repositoryId: text(c, 'project_id', true),
    owner: text(c, 'namespace_path', true),
    ownerId: text(c, 'namespace_id', true),
    ref: text(c, 'ref', true),
    refType: text(c, 'ref_type', false),
    refProtected: refProtectedOf(c),
    environment: text(c, 'environment', false),
    workflowRef: text(c, 'ci_config_ref_uri', true),
    eventName,
    runnerEnvironment: text(c, 'runner_environment', false),
    // Merge request pipelines from forks run in the fork's project unless run by a member in the
    // parent; GitLab marks neither in the token, so a fork pipeline is one outside this project.
    isForkPullRequest:
      eventName === 'merge_request_event' &&
      typeof c.source_project_id !== 'undefined' &&
      String(c.source_project_id) !== String(c.project_id),
    runId: text(c, 'pipeline_id', true),
    runAttempt: text(c, 'job_id', false) || '1',
    actor: text(c, 'user_login', false),
    subject: text(c, 'sub', true),
  };
};

/** The workload a verified token stands for. A claim the broker needs and cannot read is a 401. */
const workloadOf = (token: VerifiedToken): Workload =>
  token.platform === 'github' ? fromGithub(token) : fromGitlab(token);

export type { CiPlatform, VerifiedToken, Workload };
export { workloadOf, workloadRequester };
