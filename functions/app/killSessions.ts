import { killIsOver } from '../domain/orgKill.js';
import { KILL_POLICY_NAME, policySize, renderKillPolicy } from '../domain/sessionKill.js';
import type { KillStore } from '../ports.js';
import type { BrokerDeps } from './deps.js';
import { recordPruned, recordRender } from './killFacts.js';
import { type RenderStatus, renderUnderLease } from './killLease.js';
import { killInOrganization } from './orgKill.js';

type KillDeps = Pick<
  BrokerDeps,
  'killLeases' | 'rolePolicies' | 'orgKill' | 'clock' | 'alerts' | 'logger' | 'config'
> & {
  readonly store: KillStore;
};

/**
 * What an end's answer says about its kill, per scope: its deny is in a policy write that landed
 * ('applied': IAM then takes seconds to apply it everywhere), is left to the renderer that holds
 * the target ('pending': that renderer writes it before it lets go; the audit shows
 * `grant.sessions-killed` once it has), or could not be written ('failed': alerted; the sweeper
 * retries). `organization` only when the organization-wide kill is on.
 */
type KillStatus = RenderStatus | 'failed';
interface KillAnswer {
  readonly status: KillStatus;
  readonly organization?: KillStatus;
}

/**
 * One render of a role's kill policy from the table: the live kill records become the policy
 * (or its role-wide fallback, loudly), the kills it includes for the first time get their
 * `grant.sessions-killed` fact, and records whose denies are over are pruned.
 */
const renderRole = async (deps: KillDeps, roleArn: string): Promise<void> => {
  const now = deps.clock.now();
  const kills = await deps.store.listKills(roleArn);
  const others = (await deps.rolePolicies.list(roleArn)).filter((p) => p.name !== KILL_POLICY_NAME);
  const rendered = renderKillPolicy(
    kills,
    now,
    others.reduce((sum, p) => sum + policySize(p.document), 0)
  );
  if (rendered.kind === 'none') await deps.rolePolicies.delete(roleArn, KILL_POLICY_NAME);
  else await deps.rolePolicies.put(roleArn, { name: KILL_POLICY_NAME, document: rendered.document });

  await recordRender(deps, {
    scope: 'role',
    kills,
    grantIds: rendered.grantIds,
    where: { roleArn },
    fallback:
      rendered.kind === 'role-wide'
        ? {
            issuedBefore: rendered.issuedBefore,
            message: 'session kill overflowed the role inline policy budget: denying every older session',
          }
        : undefined,
    details: (kill) => ({ roleArn, policy: KILL_POLICY_NAME, mode: rendered.kind, until: kill.until }),
  });
  await recordPruned(
    deps,
    kills.filter((k) => killIsOver(k, now, deps.orgKill !== undefined))
  );
};

/** Makes the role's kill policy include every kill recorded on it (see renderUnderLease). */
const killOnRole = (deps: KillDeps, roleArn: string): Promise<RenderStatus> =>
  renderUnderLease(deps, roleArn, () => renderRole(deps, roleArn));

/**
 * Puts an ended grant's kill in force: on its target role and, when on, in the organization's SCP.
 * The kill record is already in the table (written with the end). Never throws: a scope that
 * failed answers 'failed' and its error is handed back for the caller's alert.
 */
const killSessions = async (
  deps: KillDeps,
  roleArn: string
): Promise<{ readonly answer: KillAnswer; readonly failures: readonly Error[] }> => {
  const scopes = [killOnRole(deps, roleArn), ...(deps.orgKill ? [killInOrganization(deps, deps.orgKill)] : [])];
  const [role, organization] = await Promise.allSettled(scopes);
  const status = (result: PromiseSettledResult<RenderStatus>): KillStatus =>
    result.status === 'fulfilled' ? result.value : 'failed';
  const failures = [role, organization].flatMap((r) => (r?.status === 'rejected' ? [r.reason as Error] : []));
  return {
    answer: {
      status: status(role as PromiseSettledResult<RenderStatus>),
      ...(organization === undefined ? {} : { organization: status(organization) }),
    },
    failures,
  };
};

export type { KillAnswer, KillDeps, KillStatus };
export { killOnRole, killSessions };
