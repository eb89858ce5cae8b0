import { activityOf, type GrantActivity, summariseActivity } from '../domain/activity.js';
import { type AuditEvent, type ChainVerdict, verifyChain } from '../domain/auditChain.js';
import type { Caller } from '../domain/caller.js';
import type { Grant } from '../domain/grant.js';
import { type KillEffect, killEffect } from '../domain/killEffect.js';
import type { BrokerDeps } from './deps.js';
import { loadVisibleGrant } from './grantAccess.js';

/** CloudTrail Event history keeps 90 days; asking for more is an error. */
const EVENT_HISTORY_DAYS = 90;
const DAY_MS = 24 * 3600 * 1000;

/** Activity, and once the grant has ended, what its kill did: when in force, when AWS first refused. */
type ActivityWithKill = GrantActivity & { readonly kill?: KillEffect };

interface GrantAudit {
  readonly grant: Grant;
  readonly events: readonly AuditEvent[];
  readonly chain: ChainVerdict;
  /** What the grant's sessions did, as the live recorder saw it. */
  readonly activity: ActivityWithKill;
  /** Asked for: the same, computed from CloudTrail Event history (management events only). */
  readonly cloudTrail?: ActivityWithKill & {
    readonly accessKeyIds: readonly string[];
    readonly from: string;
    readonly to: string;
  };
}

const withKill = <A extends GrantActivity>(activity: A, events: readonly AuditEvent[]): A & { kill?: KillEffect } => {
  const kill = killEffect(events, activity);
  return kill === undefined ? activity : { ...activity, kill };
};

/** Every access key the grant vended, from its vend events (`grant.activated`, `grant.credentials-issued`). */
const accessKeyIdsOf = (events: readonly AuditEvent[]): string[] =>
  events.flatMap((e) => (typeof e.details.accessKeyId === 'string' ? [e.details.accessKeyId] : []));

/** LookupEvents by each vended key, from the first vend until now (within Event history's 90 days). */
const lookUpCloudTrail = async (deps: BrokerDeps, grant: Grant, events: readonly AuditEvent[]) => {
  const accessKeyIds = accessKeyIdsOf(events);
  const now = deps.clock.now();
  const firstVend = events.find((e) => typeof e.details.accessKeyId === 'string')?.at ?? grant.createdAt;
  const from = new Date(Math.max(Date.parse(firstVend), now.getTime() - EVENT_HISTORY_DAYS * DAY_MS));
  const records = accessKeyIds.length === 0 ? [] : await deps.activityLookup.lookup(accessKeyIds, { from, to: now });
  const uses = records.flatMap((r) => activityOf(r) ?? []);
  return {
    ...withKill(summariseActivity(grant.id, uses, grant.endedAt), events),
    accessKeyIds,
    from: from.toISOString(),
    to: now.toISOString(),
  };
};

/** The grant's whole history, whether its hash chain still holds, and what its sessions did. */
const auditGrant = async (
  deps: BrokerDeps,
  caller: Caller,
  grantId: string,
  options: { cloudTrail?: boolean } = {}
): Promise<GrantAudit> => {
  const grant = await loadVisibleGrant(deps, grantId, caller);
  const [events, activity] = await Promise.all([deps.store.auditTrail(grantId), deps.activity.get(grantId)]);
  const chain = verifyChain(events, grant.chainHead);
  if (!chain.valid) {
    deps.logger.warn('audit chain broken', { grantId, brokenAt: chain.brokenAt, reason: chain.reason });
  }
  const cloudTrail = options.cloudTrail ? await lookUpCloudTrail(deps, grant, events) : undefined;
  return {
    grant,
    events,
    chain,
    activity: withKill(activity, events),
    ...(cloudTrail === undefined ? {} : { cloudTrail }),
  };
};

export type { GrantAudit };
export { accessKeyIdsOf, auditGrant };
