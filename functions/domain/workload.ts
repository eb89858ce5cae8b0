import { NotAuthenticatedError } from './errors.js';

type CiPlatform = 'github' | 'gitlab';

/**
 * A CI job as the broker knows it, read from its verified OIDC token. Immutable ids (repository,
 * owner) identify it; names are for people. Never built from a request body.
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
  /** `job_workflow_sha` on GitHub, `ci_config_sha` on GitLab: that definition's commit; "" when absent. */
  readonly workflowSha: string;
  /** `event_name` on GitHub, `pipeline_source` on GitLab. */
  readonly eventName: string;
  readonly runnerEnvironment: string;
  readonly isForkPullRequest: boolean;
  /** The run (GitHub `run_id`, GitLab `pipeline_id`) and its attempt (GitLab: the job id). */
  readonly runId: string;
  readonly runAttempt: string;
  /** The job itself: GitHub `check_run_id`, GitLab `job_id`; "" when the issuer does not send it. */
  readonly jobId: string;
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

type ClaimField = Exclude<keyof Workload, 'platform' | 'issuerId' | 'refProtected' | 'isForkPullRequest'>;

/**
 * Which claim each field comes from, per platform (GitHub:
 * https://docs.github.com/en/actions/reference/security/oidc; GitLab:
 * https://docs.gitlab.com/ci/secrets/id_token_authentication/). `true`: the broker cannot know the
 * job without it. Messages name the claims from here too.
 */
const CLAIMS: Record<CiPlatform, Record<ClaimField, readonly [claim: string, required: boolean]>> = {
  github: {
    repository: ['repository', true],
    repositoryId: ['repository_id', true],
    owner: ['repository_owner', true],
    ownerId: ['repository_owner_id', true],
    ref: ['ref', true],
    refType: ['ref_type', false],
    environment: ['environment', false],
    workflowRef: ['job_workflow_ref', true],
    workflowSha: ['job_workflow_sha', false],
    eventName: ['event_name', true],
    runnerEnvironment: ['runner_environment', false],
    runId: ['run_id', true],
    runAttempt: ['run_attempt', false],
    jobId: ['check_run_id', false],
    actor: ['actor', false],
    subject: ['sub', true],
  },
  gitlab: {
    repository: ['project_path', true],
    repositoryId: ['project_id', true],
    owner: ['namespace_path', true],
    ownerId: ['namespace_id', true],
    ref: ['ref', true],
    refType: ['ref_type', false],
    environment: ['environment', false],
    workflowRef: ['ci_config_ref_uri', true],
    workflowSha: ['ci_config_sha', false],
    eventName: ['pipeline_source', true],
    runnerEnvironment: ['runner_environment', false],
    runId: ['pipeline_id', true],
    runAttempt: ['job_id', false],
    jobId: ['job_id', false],
    actor: ['user_login', false],
    subject: ['sub', true],
  },
};

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

/** Both platforms send `ref_protected` as "true"/"false" (a boolean is accepted too); absent means unprotected. */
const refProtectedOf = (claims: Readonly<Record<string, unknown>>): boolean =>
  claims.ref_protected === true || claims.ref_protected === 'true';

/**
 * GitHub's token does not say whether a pull request comes from a fork, so every `pull_request*`
 * event counts as one: fail closed, and let a policy say which pull request runs it trusts.
 * Merge request pipelines from forks run in the fork's project unless run by a member in the
 * parent; GitLab marks neither in the token, so a fork pipeline is one outside this project.
 */
const isForkPullRequest = (platform: CiPlatform, eventName: string, c: Readonly<Record<string, unknown>>) =>
  platform === 'github'
    ? eventName.startsWith('pull_request')
    : eventName === 'merge_request_event' &&
      typeof c.source_project_id !== 'undefined' &&
      String(c.source_project_id) !== String(c.project_id);

/** The workload a verified token stands for. A claim the broker needs and cannot read is a 401. */
const workloadOf = (token: VerifiedToken): Workload => {
  const fields = Object.fromEntries(
    Object.entries(CLAIMS[token.platform]).map(([field, [claim, required]]) => [
      field,
      text(token.claims, claim, required),
    ])
  ) as Record<ClaimField, string>;
  return {
    ...fields,
    platform: token.platform,
    issuerId: token.issuerId,
    refProtected: refProtectedOf(token.claims),
    isForkPullRequest: isForkPullRequest(token.platform, fields.eventName, token.claims),
    runAttempt: fields.runAttempt || '1',
  };
};

/** The claims that tell a job from the other jobs of its run: a CI grant is bound to all of them. */
const JOB_CLAIMS = ['jobId', 'workflowRef', 'workflowSha', 'environment', 'runnerEnvironment'] as const;
/** The claims of the run a grant was opened in; another run's job may not even learn the grant exists. */
const RUN_CLAIMS = ['platform', 'issuerId', 'repositoryId', 'ownerId', 'runId', 'runAttempt'] as const;

type JobBinding = Pick<Workload, (typeof JOB_CLAIMS)[number] | (typeof RUN_CLAIMS)[number]>;

/** Grants opened before the job claims were recorded lack them: they compare as absent (""). */
const boundValue = (binding: Partial<JobBinding>, field: keyof JobBinding): string => binding[field] ?? '';

const sameRun = (bound: Partial<JobBinding>, job: Workload): boolean =>
  RUN_CLAIMS.every((field) => boundValue(bound, field) === job[field]);

/**
 * Each job claim in which `job` differs from the job a grant is bound to, as a sentence naming the
 * platform's claim; empty for the same job.
 */
const jobDifferences = (bound: Partial<JobBinding>, job: Workload): string[] =>
  JOB_CLAIMS.filter((field) => boundValue(bound, field) !== job[field]).map(
    (field) =>
      `${CLAIMS[job.platform][field][0]} is ${JSON.stringify(job[field])}, not ${JSON.stringify(boundValue(bound, field))}`
  );

export type { CiPlatform, JobBinding, VerifiedToken, Workload };
export { jobDifferences, sameRun, workloadOf, workloadRequester };
