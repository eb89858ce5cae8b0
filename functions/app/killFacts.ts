import { killFact } from '../domain/ending.js';
import { ConcurrentUpdateError } from '../domain/errors.js';
import type { KillApplied, KillScope, KillStore, StoredKill } from '../ports.js';
import type { BrokerDeps } from './deps.js';

type FactDeps = Pick<BrokerDeps, 'clock' | 'logger' | 'alerts'> & { readonly store: KillStore };

/** The `grant.sessions-killed` facts of these kills, each from its grant as it is now. */
const appliedFacts = async (
  deps: FactDeps,
  kills: readonly StoredKill[],
  scope: KillScope,
  details: (kill: StoredKill) => Record<string, unknown>
): Promise<KillApplied[]> => {
  const now = deps.clock.now();
  const grants = new Map((await deps.store.getMany(kills.map((k) => k.grantId))).map((g) => [g.id, g]));
  return kills.flatMap((kill) => {
    const grant = grants.get(kill.grantId);
    if (grant === undefined) return [];
    const to = killFact(grant, 'grant.sessions-killed', { scope, ...details(kill) }, now);
    return [{ from: grant, to, kill, scope }];
  });
};

/**
 * Appends "sessions killed" to each grant's chain, once per kill and scope, after a policy write
 * that includes the kill has landed — never before. All of a render's kills go in a few
 * transactions; a grant that moved meanwhile is read again once, and whatever still fails stays
 * unmarked for the next render (the sweeper's at the latest).
 */
const recordApplied = async (
  deps: FactDeps,
  kills: readonly StoredKill[],
  scope: KillScope,
  details: (kill: StoredKill) => Record<string, unknown>
): Promise<void> => {
  if (kills.length === 0) return;
  const moved = await deps.store.recordKillsApplied(await appliedFacts(deps, kills, scope, details));
  if (moved.length === 0) return;
  const stillMoved = await deps.store.recordKillsApplied(
    await appliedFacts(
      deps,
      moved.map((m) => m.kill),
      scope,
      details
    )
  );
  if (stillMoved.length > 0) {
    deps.logger.warn('kill facts not recorded: their grants kept changing; the next render records them', {
      grantIds: stillMoved.map((m) => m.kill.grantId),
      scope,
    });
  }
};

/** When a scope's kill was first in a landed write (the store's applied marks). */
const appliedAtOf = (kill: StoredKill, scope: KillScope): string | undefined =>
  scope === 'role' ? kill.appliedAt : kill.orgAppliedAt;

/**
 * What follows a render's write once it has landed: a loud alert if the write had to fall back to
 * a broader deny (the listed grants did not fit), and `grant.sessions-killed` for every kill the
 * write included for the first time in this scope.
 */
const recordRender = async (
  deps: FactDeps,
  render: {
    readonly scope: KillScope;
    /** What the render read; `grantIds` the ones its write denies. */
    readonly kills: readonly StoredKill[];
    readonly grantIds: readonly string[];
    /** Where it wrote, for the alert and the log: the role, or the organization. */
    readonly where: Record<string, unknown>;
    readonly fallback?: { readonly issuedBefore: string; readonly message: string };
    readonly details: (kill: StoredKill) => Record<string, unknown>;
  }
): Promise<void> => {
  const { fallback, where, grantIds, scope } = render;
  if (fallback !== undefined) {
    deps.logger.error(fallback.message, { ...where, issuedBefore: fallback.issuedBefore, grants: grantIds.length });
    await deps.alerts.raise('kill-overflow', { ...where, issuedBefore: fallback.issuedBefore, grantIds });
  }
  const included = new Set(grantIds);
  const fresh = render.kills.filter((k) => included.has(k.grantId) && appliedAtOf(k, scope) === undefined);
  await recordApplied(deps, fresh, scope, render.details);
};

/**
 * Removes kills whose denies are no longer needed, each with a "kill pruned" event in its grant's
 * chain (the audit shows when the deny stopped). Without the grant, only the record goes.
 */
const recordPruned = async (deps: FactDeps, kills: readonly StoredKill[]): Promise<void> => {
  for (const kill of kills) {
    try {
      const grant = await deps.store.get(kill.grantId);
      if (grant === undefined) {
        await deps.store.deleteKill(kill);
        continue;
      }
      const transition = killFact(
        grant,
        'grant.kill-pruned',
        { roleArn: kill.roleArn, until: kill.until },
        deps.clock.now()
      );
      await deps.store.recordKillPruned(grant, transition, kill);
    } catch (error) {
      // Pruned by another renderer first (or the grant moved): the next render looks again.
      if (!(error instanceof ConcurrentUpdateError)) throw error;
    }
  }
};

export type { FactDeps };
export { recordPruned, recordRender };
