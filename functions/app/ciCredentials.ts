import { createHash } from 'node:crypto';
import type { Caller } from '../domain/caller.js';
import { checkDeployInputs, renderDeployScope } from '../domain/deployTemplate.js';
import { formatDuration } from '../domain/duration.js';
import { BrokerError, ForbiddenError, NotFoundError, ValidationError } from '../domain/errors.js';
import { type Grant, type GrantWorkload, MIN_GRANT_SECONDS, openGrant } from '../domain/grant.js';
import type { WorkloadFacts } from '../domain/policy.js';
import { MAX_SESSION_SECONDS } from '../domain/vending.js';
import { jobDifferences, sameRun, type Workload, workloadOf, workloadRequester } from '../domain/workload.js';
import type { IssuedCredentials } from '../ports.js';
import type { BrokerDeps } from './deps.js';
import { type EndedGrant, finishGrant } from './endGrant.js';
import { narrowScope } from './narrowScope.js';
import { openApprovedByPolicy } from './openApprovedByPolicy.js';
import { vendCredentials } from './vendCredentials.js';

/** What a CI job asks for. Who it is comes from its token, never from here. */
interface CiDeployRequest {
  readonly template: string;
  /** Optional: when given, must be the template's role (a guard against a wrong template). */
  readonly role?: string;
  readonly inputs: Readonly<Record<string, string>>;
  /** Default: the template's maxDuration. Never above it, nor above STS's 1 h role-chaining cap. */
  readonly durationSeconds?: number;
}

/** A workload grant's pending window: it is approved in the same call, so this only bounds a failed second write. */
const PENDING_SECONDS = 60;

const callerOf = (workload: Workload): Caller => ({ userId: workloadRequester(workload), groups: [] });

/** Verifies the token and reads the job from it; its id is consumed later, once everything else passed. */
const authenticate = async (deps: BrokerDeps, token: string, seen: Seen) => {
  const verified = await deps.workloadTokens.verify(token);
  const workload = workloadOf(verified);
  seen.workload = workload;
  return { verified, workload };
};

/** What a refusal's log line can say about the job: filled in once its token verified. */
type Seen = { workload?: Workload };

/**
 * A refused token leaves no grant and no credentials, only this structured log line (the reason
 * and, when the token verified, which repository, run and job it came from). See docs/ci.md.
 */
const refusing = async <T>(deps: BrokerDeps, what: string, work: (seen: Seen) => Promise<T>): Promise<T> => {
  const seen: Seen = {};
  try {
    return await work(seen);
  } catch (error) {
    if (error instanceof BrokerError && error.kind !== 'unavailable') {
      const job = seen.workload;
      deps.logger.warn('ci token refused', {
        call: what,
        code: error.code,
        reason: error.message,
        ...(job === undefined
          ? {}
          : {
              issuer: job.issuerId,
              repository: job.repository,
              run: `${job.runId}.${job.runAttempt}`,
              job: job.jobId,
            }),
      });
    }
    throw error;
  }
};

/**
 * How long the deploy lasts: what the job asked for, or the most it may have. Asking for more is
 * an error, not a silent cut: a job that planned on two hours should fail now, not mid-deploy.
 */
const durationFor = (request: CiDeployRequest, cap: number, capBy: string): number => {
  const asked = request.durationSeconds ?? cap;
  if (!Number.isInteger(asked) || asked < MIN_GRANT_SECONDS) {
    throw new ValidationError(
      'DURATION_OUT_OF_RANGE',
      `a deploy lasts at least ${formatDuration(MIN_GRANT_SECONDS)} (durationSeconds ${MIN_GRANT_SECONDS})`
    );
  }
  if (asked > cap) {
    throw new ValidationError(
      'DURATION_ABOVE_MAXIMUM',
      `${capBy} allows a deploy of at most ${formatDuration(cap)}; asked for ${formatDuration(asked)}`
    );
  }
  return asked;
};

const recordOf = (workload: Workload, request: CiDeployRequest, jti: string): GrantWorkload => ({
  platform: workload.platform,
  issuerId: workload.issuerId,
  repository: workload.repository,
  repositoryId: workload.repositoryId,
  owner: workload.owner,
  ownerId: workload.ownerId,
  ref: workload.ref,
  refProtected: workload.refProtected,
  environment: workload.environment,
  workflowRef: workload.workflowRef,
  workflowSha: workload.workflowSha,
  runnerEnvironment: workload.runnerEnvironment,
  eventName: workload.eventName,
  runId: workload.runId,
  runAttempt: workload.runAttempt,
  jobId: workload.jobId,
  actor: workload.actor,
  template: request.template,
  inputs: request.inputs,
  tokenIdHash: createHash('sha256').update(jti).digest('hex'),
});

/** The `ciDeploy` decision: at opening, and again at every re-vend under the policies in force then. */
const decideDeploy = async (deps: BrokerDeps, facts: WorkloadFacts, refusal = '') => {
  const decision = await deps.policy.decideWorkload(facts);
  const decidedBy = decision.permittedBy[0];
  if (!decision.allowed || decidedBy === undefined) {
    throw new ForbiddenError('POLICY_DENIED', `${refusal}${decision.messages.join('; ')}`);
  }
  return { decision, decidedBy };
};

/**
 * A CI job's per-deploy credentials, in one call: token verified, claims made a workload, the
 * template rendered from claims and inputs and narrowed within the role's ceiling, the `ciDeploy`
 * policies asked — and only then the token's id consumed, the grant opened, approved by the
 * permitting policy, its expiry scheduled and its credentials vended alongside, on the same path as
 * a person's auto-approved request with credentials (openApprovedByPolicy).
 */
const requestCiCredentials = (
  deps: BrokerDeps,
  token: string,
  request: CiDeployRequest
): Promise<{ grant: Grant; credentials: IssuedCredentials }> =>
  refusing(deps, 'credentials', async (seen) => {
    const { verified, workload } = await authenticate(deps, token, seen);
    const template = deps.config.ci.templates.get(request.template);
    if (template === undefined) {
      throw new ValidationError(
        'UNKNOWN_TEMPLATE',
        `template '${request.template}' is not in ci.json; known templates: ${[...deps.config.ci.templates.keys()].join(', ') || 'none'}`
      );
    }
    if (request.role !== undefined && request.role !== template.role) {
      throw new ValidationError(
        'TEMPLATE_ROLE_MISMATCH',
        `template ${template.id} deploys with role ${template.role}, not ${request.role}`
      );
    }
    const role = deps.config.catalog.roles.get(template.role);
    if (role === undefined) throw new ValidationError('UNKNOWN_ROLE', `role '${template.role}' is not in the catalog`);
    const scope = renderDeployScope(template, workload, request.inputs);
    const narrowed = await narrowScope(deps.actions, role, scope);
    const now = deps.clock.now();
    const cap = Math.min(template.maxDurationSeconds, MAX_SESSION_SECONDS, role.maxDurationSeconds);
    const durationSeconds = durationFor(request, cap, `template ${template.id}`);
    const { decision, decidedBy } = await decideDeploy(deps, {
      workload,
      role,
      templateId: template.id,
      inputs: request.inputs,
      actions: scope.actions,
      resources: scope.resources,
      durationSeconds,
      scopeWidth: narrowed.privilegeWidth,
      outlivingActions: narrowed.outlivingActions,
      at: now,
    });
    if (request.durationSeconds !== undefined) durationFor(request, decision.maxDurationSeconds, `policy ${decidedBy}`);
    await deps.replayGuard.consume(verified.issuerId, verified.jti, verified.expiresAt);
    const caller = callerOf(workload);
    const opened = openGrant({
      id: deps.ids.grantId(),
      requester: caller.userId,
      request: {
        role: role.id,
        scope,
        durationSeconds: Math.min(durationSeconds, decision.maxDurationSeconds),
        reason: `CI deploy ${workload.repository} run ${workload.runId}.${workload.runAttempt} (${template.id})`,
      },
      role,
      rule: {
        approvers: [],
        required: 1,
        pendingWindowSeconds: PENDING_SECONDS,
        maxDurationSeconds: cap,
        source: decision.permittedBy,
      },
      catalogVersion: deps.config.catalog.version,
      narrowed,
      now,
      explanation: { permittedBy: decision.permittedBy, scopeWidth: narrowed.privilegeWidth },
      workload: recordOf(workload, request, verified.jti),
    });
    const { grant, credentials, vendFailure } = await openApprovedByPolicy(deps, opened, decidedBy, caller);
    deps.recentGrants.remember(grant);
    deps.logger.info('ci grant approved by policy', {
      grantId: grant.id,
      repository: workload.repository,
      run: workload.runId,
      policy: decidedBy,
    });
    // A job's call is for credentials: without them it fails as the vend did, and the grant (never
    // used) ends at its expiry.
    if (credentials === undefined) throw vendFailure;
    return { grant, credentials };
  });

/**
 * The grant, if the token's job is the one that opened it. A job of another run (or repository)
 * sees "not found", as a person sees someone else's grant. A sibling job of the same run — another
 * job, workflow, environment or runner — is told which claim is not the grant's job's (403): it
 * may neither use the deploy job's grant nor end it (which would cut that job off mid-deploy).
 */
const grantOfJob = async (deps: BrokerDeps, token: string, grantId: string, seen: Seen) => {
  const { verified, workload } = await authenticate(deps, token, seen);
  // What a grant is bound to never changes once it is opened: the copy this process wrote last will do.
  const grant = deps.recentGrants.get(grantId) ?? (await deps.store.get(grantId));
  const bound = grant?.workload;
  if (grant === undefined || bound === undefined || !sameRun(bound, workload)) {
    throw new NotFoundError('GRANT_NOT_FOUND', `no grant ${grantId} opened by this job's run`);
  }
  const differences = jobDifferences(bound, workload);
  if (differences.length > 0) {
    throw new ForbiddenError(
      'NOT_THIS_JOB',
      `grant ${grantId} is bound to the job of run ${bound.runId}.${bound.runAttempt} that opened it, and this token is another job's: ${differences.join('; ')}`
    );
  }
  return { verified, workload, grant, bound };
};

/**
 * A re-vend asks the CI decision again, under the configuration in force now: the template and
 * its role still there, the inputs still allowed for this repository, a `ciDeploy` permit and no
 * forbid. A policy that no longer permits refuses the re-vend (403); the grant runs on to its expiry
 * unless someone revokes it.
 */
const recheckDeploy = async (deps: BrokerDeps, grant: Grant, bound: GrantWorkload, workload: Workload) => {
  const template = deps.config.ci.templates.get(bound.template);
  const role = deps.config.catalog.roles.get(grant.roleId);
  if (template === undefined || role === undefined || template.role !== role.id) {
    throw new ForbiddenError(
      'TEMPLATE_WITHDRAWN',
      `grant ${grant.id} cannot be re-vended: template ${bound.template} with role ${grant.roleId} is no longer in ci.json`
    );
  }
  checkDeployInputs(template, workload, bound.inputs);
  await decideDeploy(
    deps,
    {
      workload,
      role,
      templateId: template.id,
      inputs: bound.inputs,
      actions: grant.scope.actions,
      resources: grant.scope.resources,
      durationSeconds: grant.durationSeconds,
      scopeWidth: grant.privilegeWidth,
      outlivingActions: grant.mayOutliveKill ?? [],
      at: deps.clock.now(),
    },
    `grant ${grant.id} cannot be re-vended: `
  );
};

/**
 * The job is done: the grant ends on the one ending path, and its sessions are killed like a
 * person's. Only its own job may end it; the policies are not asked again, because refusing an
 * end would only keep access alive.
 */
const finishCiGrant = (deps: BrokerDeps, token: string, grantId: string): Promise<EndedGrant> =>
  refusing(deps, 'done', async (seen) => {
    const { verified, workload } = await grantOfJob(deps, token, grantId, seen);
    await deps.replayGuard.consume(verified.issuerId, verified.jti, verified.expiresAt);
    return finishGrant(deps, callerOf(workload), grantId);
  });

/** Fresh credentials for a long job: its own job only, the CI decision asked again, the grant still running. */
const revendCiCredentials = (deps: BrokerDeps, token: string, grantId: string) =>
  refusing(deps, 're-vend', async (seen) => {
    const { verified, workload, grant, bound } = await grantOfJob(deps, token, grantId, seen);
    await recheckDeploy(deps, grant, bound, workload);
    await deps.replayGuard.consume(verified.issuerId, verified.jti, verified.expiresAt);
    return vendCredentials(deps, callerOf(workload), grantId);
  });

export type { CiDeployRequest };
export { finishCiGrant, requestCiCredentials, revendCiCredentials };
