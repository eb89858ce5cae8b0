import { ServiceUnavailableError } from '../domain/errors.js';
import type { KillLease } from '../ports.js';
import type { BrokerDeps } from './deps.js';

/**
 * How long a renderer's lease runs without renewal. It is renewed before every pass, and a pass's
 * policy write takes seconds at most; a holder that dies is taken over this long after its last
 * renewal, by the next end on the target or by the sweeper.
 */
const LEASE_SECONDS = 30;

/**
 * Passes one holder renders before it stops taking announcements: each pass covers every kill
 * recorded before it, so only kills arriving without pause keep a holder going. Past this it
 * releases the lease and alerts; the next end on the target or the sweeper renders the rest.
 */
const MAX_PASSES = 20;

/** Whether this caller's kill is in a policy write that landed ('applied'), or left to the target's holder ('pending'). */
type RenderStatus = 'applied' | 'pending';

type LeaseDeps = Pick<BrokerDeps, 'killLeases' | 'clock' | 'alerts' | 'logger'>;

const leaseUntil = (deps: LeaseDeps): Date => new Date(deps.clock.now().getTime() + LEASE_SECONDS * 1000);

/**
 * Announces the caller's kill to the target's live renderer (undefined), or becomes the renderer.
 * Announcing first costs one write when a renderer is at work — the common case when many grants
 * end at once. Between a failed announcement and a failed claim the lease changed hands: again.
 */
const enter = async (deps: LeaseDeps, target: string): Promise<KillLease | undefined> => {
  for (let attempt = 1; attempt <= 3; attempt++) {
    const now = deps.clock.now();
    if (await deps.killLeases.notify(target, now)) return undefined;
    const lease = await deps.killLeases.claim(target, now, leaseUntil(deps));
    if (lease !== undefined) return lease;
  }
  throw new ServiceUnavailableError(
    'KILL_LEASE_CONTENDED',
    `the kill lease of ${target} changed hands too often to claim or announce to; the sweeper renders the kill`
  );
};

/**
 * Renders a kill target (a role's kill policy, or the organization's) as its one renderer at a
 * time, so applying N kills costs about one pass each time kills arrive, not one per kill.
 *
 * The caller's kill is already recorded. If another renderer holds the target's lease, the caller
 * only announces its kill and answers 'pending': the holder renders again before it lets go. The
 * holder renders, then releases only if nothing was announced since it read the records — else it
 * renders again. A holder whose lease was taken over while it wrote (its write may land after the
 * new holder's) enters again: it renders once more or announces to the new holder, so a complete
 * write lands after the stale one. Whatever the interleaving, the last write by a live renderer
 * covers every kill recorded before its last read, and every kill is announced to, or read by, a
 * renderer that writes after it was recorded.
 */
const renderUnderLease = async (
  deps: LeaseDeps,
  target: string,
  renderOnce: () => Promise<void>
): Promise<RenderStatus> => {
  let lease = await enter(deps, target);
  for (let pass = 1; lease !== undefined; pass++) {
    if (pass > MAX_PASSES) {
      await deps.killLeases.release(target, lease, true);
      deps.logger.error('kill renderer stopped taking new kills; the next end or the sweeper renders them', {
        target,
        passes: MAX_PASSES,
      });
      await deps.alerts.raise('kill-failed', {
        target,
        reason: `kills kept arriving for ${MAX_PASSES} passes; the next end or the sweeper renders the rest`,
      });
      return 'pending';
    }
    const held: KillLease | undefined = await deps.killLeases.renew(target, lease, leaseUntil(deps));
    if (held === undefined) {
      lease = await enter(deps, target);
      continue;
    }
    try {
      await renderOnce();
    } catch (error) {
      // Let the next end (or the sweeper) take over at once; the caller alerts.
      await deps.killLeases.release(target, held, true).catch(() => undefined);
      throw error;
    }
    const released = await deps.killLeases.release(target, held);
    if (released === 'released') return 'applied';
    lease = released === 'notified' ? held : await enter(deps, target);
  }
  return 'pending';
};

export type { LeaseDeps, RenderStatus };
export { LEASE_SECONDS, MAX_PASSES, renderUnderLease };
