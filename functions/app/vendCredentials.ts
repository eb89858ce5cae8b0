import type { Caller } from '../domain/caller.js';
import type { Grant } from '../domain/grant.js';
import { assertVendable, planVend, recordVend, type VendPlan } from '../domain/vending.js';
import type { IssuedCredentials } from '../ports.js';
import type { BrokerDeps } from './deps.js';
import { canView, loadVisibleGrant } from './grantAccess.js';
import { mutateGrant } from './mutateGrant.js';

/** The STS session a vend plan describes. It is not the caller's until recordSession stored it. */
const issueSession = (deps: BrokerDeps, grant: Grant, plan: VendPlan): Promise<IssuedCredentials> =>
  deps.credentials.issue({
    roleArn: grant.roleArn,
    sessionName: plan.sessionName,
    sourceIdentity: plan.sourceIdentity,
    tags: plan.tags,
    policy: plan.sessionPolicy,
    durationSeconds: plan.durationSeconds,
  });

/**
 * Records an issued session on `grant` (as stored: no read) — one transaction. Only once it returns
 * may the credentials reach the caller; if it fails (the grant ended meanwhile) they are dropped
 * unseen. A re-read after a conflict re-checks the grant: a vend never lands on an ended grant.
 * (The check only: the session policy was rendered once, in the plan, for the session issued.)
 */
const recordSession = async (
  deps: BrokerDeps,
  caller: Caller,
  grant: Grant,
  plan: VendPlan,
  credentials: IssuedCredentials
): Promise<Grant> => {
  const issued = {
    accessKeyId: credentials.accessKeyId,
    expiration: credentials.expiration,
    assumedRoleArn: credentials.assumedRoleArn,
    sessionName: plan.sessionName,
    durationSeconds: plan.durationSeconds,
  };
  const recorded = await mutateGrant(
    deps,
    grant.id,
    caller,
    (g, now) => {
      assertVendable(g, caller, now);
      return recordVend(g, caller, issued, now);
    },
    grant
  );
  deps.recentGrants.remember(recorded.grant);
  deps.logger.info('credentials vended', {
    grantId: grant.id,
    accessKeyId: credentials.accessKeyId,
    expiration: credentials.expiration.toISOString(),
  });
  return recorded.grant;
};

/**
 * Vends one STS session narrowed to the grant's task: one read, one AssumeRole, one transaction —
 * and no read on a re-vend of a grant this process recorded last (see RecentGrants).
 *
 * The credentials reach the caller only after their vend is recorded; if recording fails (the
 * grant ended meanwhile) they are dropped unseen. So every credential anyone holds is in the
 * table, and ending the grant knows how long its sessions can live. (A grant approved at once by
 * the policies vends its first session alongside its approval: openApprovedByPolicy.)
 */
const vendCredentials = async (
  deps: BrokerDeps,
  caller: Caller,
  grantId: string
): Promise<{ grant: Grant; credentials: IssuedCredentials }> => {
  const recent = deps.recentGrants.get(grantId);
  const grant =
    recent !== undefined && canView(recent, caller, deps.config.security)
      ? recent
      : await loadVisibleGrant(deps, grantId, caller);
  const plan = planVend(grant, caller, deps.clock.now());
  const credentials = await issueSession(deps, grant, plan);
  return { grant: await recordSession(deps, caller, grant, plan, credentials), credentials };
};

export { issueSession, recordSession, vendCredentials };
