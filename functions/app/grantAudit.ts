import { activityOf, type GrantActivity, NO_ACTIVITY, summariseActivity } from '../domain/activity.js';
import { type ArchiveComparison, compareWithArchive } from '../domain/archiveComparison.js';
import type { AuditEvent } from '../domain/auditChain.js';
import { type Caller, isAmong } from '../domain/caller.js';
import { type ChainVerdict, type CheckSignature, verifyChain, verifyEvents } from '../domain/chainVerdict.js';
import { NotFoundError } from '../domain/errors.js';
import type { Grant } from '../domain/grant.js';
import type { GrantState } from '../domain/grantState.js';
import { signedKillOf } from '../domain/killAttestation.js';
import { type KillEffect, killEffect } from '../domain/killEffect.js';
import type { BrokerDeps } from './deps.js';
import { canView } from './grantAccess.js';

/** CloudTrail Event history keeps 90 days; asking for more is an error. */
const EVENT_HISTORY_DAYS = 90;
const DAY_MS = 24 * 3600 * 1000;

/** Activity, and once the grant has ended, what its kill did: when in force, when AWS first refused. */
type ActivityWithKill = GrantActivity & { readonly kill?: KillEffect };

/**
 * The grant's kill record against what its signed chain says the kill is (docs/audit.md):
 * `matches`, `pruned` (gone with its `grant.kill-pruned` event), `differs` (edited in the table,
 * or kept in force because the chain cannot vouch for it), `missing` (deleted without a prune).
 */
interface KillRecordCheck {
  readonly verdict: 'matches' | 'pruned' | 'differs' | 'missing';
  readonly signedUntil: string;
  readonly message: string;
}

interface GrantAudit {
  readonly grantId: string;
  /** `MISSING`: the table has no such grant, but the archive has events of it. */
  readonly state: GrantState | 'MISSING';
  readonly events: readonly AuditEvent[];
  /** The table's chain against the broker's signatures. */
  readonly chain: ChainVerdict;
  readonly killRecord?: KillRecordCheck;
  /** Asked for: the table against the Object Lock archive. */
  readonly archive?: ArchiveComparison;
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

const signatureCheck =
  (deps: BrokerDeps): CheckSignature =>
  (statement, signature) =>
    deps.chainSigner.verify(statement, signature);

/**
 * Whether the grant's kill record is what its signed end event says. The store serves kill
 * records checked against the chain (SignedGrantStore), so a record edited in the table comes
 * back with `tampered` saying how; a record that is simply gone is found missing here.
 */
const checkKillRecord = async (
  deps: BrokerDeps,
  grant: Grant,
  events: readonly AuditEvent[]
): Promise<KillRecordCheck | undefined> => {
  const signed = signedKillOf(events);
  if (signed === undefined) return undefined;
  const end = `event ${signed.endEvent.seq} (${signed.endEvent.type})`;
  const record = (await deps.store.listKills(grant.roleArn)).find((k) => k.grantId === grant.id);
  const signedUntil = signed.until;
  if (signed.pruned && record === undefined) {
    return { verdict: 'pruned', signedUntil, message: `pruned after ${signedUntil}, as the chain records` };
  }
  if (record === undefined) {
    const stillNeeded = signedUntil > deps.clock.now().toISOString();
    return {
      verdict: 'missing',
      signedUntil,
      message: stillNeeded
        ? `the kill record was deleted while the grant's credentials could still be used: the signed ${end} keeps it until ${signedUntil}`
        : `the kill record was deleted without a grant.kill-pruned event (the signed ${end} kept it until ${signedUntil})`,
    };
  }
  if (record.tampered !== undefined) return { verdict: 'differs', signedUntil, message: record.tampered };
  return { verdict: 'matches', signedUntil, message: `in force until ${signedUntil}, as the signed ${end} says` };
};

/** The table's events against the archive's, and the archived chain against the signatures. */
const compareArchive = async (deps: BrokerDeps, grantId: string, table: readonly AuditEvent[]) => {
  const archived = await deps.archive.eventsOf(grantId);
  return compareWithArchive({
    table,
    archived: archived.events,
    archiveProblems: archived.problems,
    archivedChain: await verifyEvents(grantId, archived.events, signatureCheck(deps)),
    now: deps.clock.now(),
  });
};

/**
 * A grant the table no longer has, as the archive remembers it: only security may ask, since
 * anyone else is told what they are told of any grant they cannot see.
 */
const auditMissingGrant = async (deps: BrokerDeps, grantId: string): Promise<GrantAudit | undefined> => {
  const archive = await compareArchive(deps, grantId, []);
  if (archive.archivedEvents === 0) return undefined;
  return {
    grantId,
    state: 'MISSING',
    events: [],
    chain: {
      valid: false,
      length: 0,
      brokenAt: 1,
      fault: 'events-missing-at-end',
      reason: `the grant and every event of it are missing from the table; the archive holds ${archive.archivedEvents}`,
    },
    archive,
    activity: NO_ACTIVITY(grantId),
  };
};

/**
 * The grant's whole history, whether its signed chain still holds (and its kill record with it),
 * optionally how the table compares with the archive, and what its sessions did.
 */
const auditGrant = async (
  deps: BrokerDeps,
  caller: Caller,
  grantId: string,
  options: { cloudTrail?: boolean; archive?: boolean } = {}
): Promise<GrantAudit> => {
  const grant = await deps.store.get(grantId);
  if (grant === undefined || !canView(grant, caller, deps.config.security)) {
    const missing =
      grant === undefined && options.archive && isAmong(caller, deps.config.security)
        ? await auditMissingGrant(deps, grantId)
        : undefined;
    if (missing !== undefined) {
      deps.logger.warn('audit chain broken', { grantId, reason: missing.chain.valid ? '' : missing.chain.reason });
      return missing;
    }
    throw new NotFoundError('GRANT_NOT_FOUND', `no grant ${grantId} that you can see`);
  }
  const [events, activity] = await Promise.all([deps.store.auditTrail(grantId), deps.activity.get(grantId)]);
  const chain = await verifyChain(grant, events, signatureCheck(deps));
  if (!chain.valid) {
    deps.logger.warn('audit chain broken', { grantId, brokenAt: chain.brokenAt, reason: chain.reason });
  }
  const [killRecord, archive, cloudTrail] = await Promise.all([
    checkKillRecord(deps, grant, events),
    options.archive ? compareArchive(deps, grantId, events) : undefined,
    options.cloudTrail ? lookUpCloudTrail(deps, grant, events) : undefined,
  ]);
  return {
    grantId: grant.id,
    state: grant.state,
    events,
    chain,
    ...(killRecord === undefined ? {} : { killRecord }),
    ...(archive === undefined ? {} : { archive }),
    activity: withKill(activity, events),
    ...(cloudTrail === undefined ? {} : { cloudTrail }),
  };
};

export type { GrantAudit, KillRecordCheck };
export { accessKeyIdsOf, auditGrant };
