import { killFact } from '../domain/ending.js';
import { ConcurrentUpdateError } from '../domain/errors.js';
import { KILL_POLICY_NAME, type KillPolicy, policySize, renderKillPolicy } from '../domain/sessionKill.js';
import type { StoredKill } from '../ports.js';
import type { BrokerDeps } from './deps.js';

const MAX_RENDERS = 5;

const liveIds = (kills: readonly StoredKill[], now: Date): string =>
  [...new Set(kills.filter((k) => k.until > now.toISOString()).map((k) => k.grantId))].sort().join(',');

/**
 * Makes the role's kill policy match the table: renders it from the role's kill records, writes
 * it, prunes the records whose credentials have expired anyway, and records each new kill in its
 * grant's audit chain.
 *
 * Two kills on one role may render at once, and IAM keeps whichever write lands last. So after
 * writing, the renderer reads the records again: if the live set changed meanwhile, its write may
 * be stale and it renders again. The last writer therefore always wrote a complete set.
 */
const killSessions = async (deps: BrokerDeps, roleArn: string): Promise<KillPolicy> => {
  for (let render = 1; ; render++) {
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

    const stillLive = liveIds(await deps.store.listKills(roleArn), now);
    if (stillLive !== liveIds(kills, now) && render < MAX_RENDERS) continue;

    if (rendered.kind === 'role-wide') {
      deps.logger.error('session kill overflowed the role inline policy budget: denying every older session', {
        roleArn,
        issuedBefore: rendered.issuedBefore,
        grants: rendered.grantIds.length,
      });
      await deps.alerts.raise('kill-overflow', {
        roleArn,
        issuedBefore: rendered.issuedBefore,
        grantIds: rendered.grantIds,
      });
    }
    for (const kill of kills) {
      if (kill.until <= now.toISOString()) await recordPruned(deps, kill);
      else if (kill.appliedAt === undefined) await recordApplied(deps, kill, rendered);
    }
    return rendered;
  }
};

/** Appends "sessions killed" to the grant's chain, once per kill record. */
const recordApplied = async (deps: BrokerDeps, kill: StoredKill, rendered: KillPolicy): Promise<void> => {
  try {
    const grant = await deps.store.get(kill.grantId);
    if (grant === undefined) return;
    const transition = killFact(
      grant,
      'grant.sessions-killed',
      { roleArn: kill.roleArn, policy: KILL_POLICY_NAME, mode: rendered.kind, until: kill.until },
      deps.clock.now()
    );
    await deps.store.recordKillApplied(grant, transition, kill);
  } catch (error) {
    // Another renderer recorded it first (or the grant moved): the record exists once either way.
    if (!(error instanceof ConcurrentUpdateError)) throw error;
  }
};

/**
 * Removes a kill whose credentials are dead anyway, with a "kill pruned" event in its grant's
 * chain (the audit shows when the deny stopped being needed). Without the grant, only the record goes.
 */
const recordPruned = async (deps: BrokerDeps, kill: StoredKill): Promise<void> => {
  try {
    const grant = await deps.store.get(kill.grantId);
    if (grant === undefined) return await deps.store.deleteKill(kill);
    const transition = killFact(
      grant,
      'grant.kill-pruned',
      { roleArn: kill.roleArn, until: kill.until },
      deps.clock.now()
    );
    await deps.store.recordKillPruned(grant, transition, kill);
  } catch (error) {
    // Another renderer pruned it first (or the grant moved): the next sweep looks again.
    if (!(error instanceof ConcurrentUpdateError)) throw error;
  }
};

export { killSessions };
