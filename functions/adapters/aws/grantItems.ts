import type { AuditEvent } from '../../domain/auditChain.js';
import type { Grant, KillRecord } from '../../domain/grant.js';
import { isTerminal } from '../../domain/grantState.js';
import type { StoredKill } from '../../ports.js';
import { keyAttributes } from './tableSchema.js';

/** Translation between domain records and table items; nothing else lives here. */
const grantPk = (grantId: string): string => `GRANT#${grantId}`;
const GRANT_SK = 'GRANT';
const EVENT_SK_PREFIX = 'EVENT#';
const eventSk = (seq: number): string => `${EVENT_SK_PREFIX}${String(seq).padStart(8, '0')}`;

const requesterPk = (userId: string): string => `USER#${userId}`;
const statePk = (state: string): string => `STATE#${state}`;
const rolePk = (roleId: string): string => `ROLE#${roleId}`;

/** Open grants sort by the moment something must happen to them next. */
const deadlineOf = (grant: Grant): string =>
  grant.state === 'PENDING' ? grant.pendingUntil : (grant.expiresAt ?? grant.createdAt);

const grantToItem = (grant: Grant): Record<string, unknown> => ({
  ...grant,
  PK: grantPk(grant.id),
  SK: GRANT_SK,
  GSI1PK: requesterPk(grant.requester),
  GSI1SK: `${grant.createdAt}#${grant.id}`,
  GSI3PK: rolePk(grant.roleId),
  GSI3SK: `${grant.createdAt}#${grant.id}`,
  ...(isTerminal(grant.state) ? {} : { GSI2PK: statePk(grant.state), GSI2SK: `${deadlineOf(grant)}#${grant.id}` }),
});

const eventToItem = (event: AuditEvent): Record<string, unknown> => ({
  ...event,
  PK: grantPk(event.grantId),
  SK: eventSk(event.seq),
});

/** Kill records live beside the role they deny sessions on, and in the sweeper's KILL partition. */
const killPk = (roleArn: string): string => `ROLEKILL#${roleArn}`;
const killSk = (grantId: string): string => `GRANT#${grantId}`;
const KILL_PARTITION = 'KILL';
/** The one lease item per kill target (a role ARN, or `organization`): see KillLeases. */
const killLeaseKey = (target: string) => ({ PK: `KILLLEASE#${target}`, SK: 'LEASE' });

const killToItem = (kill: KillRecord): Record<string, unknown> => ({
  ...kill,
  PK: killPk(kill.roleArn),
  SK: killSk(kill.grantId),
  GSI2PK: KILL_PARTITION,
  GSI2SK: `${kill.until}#${kill.grantId}`,
});

const withoutKeys = (item: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(item).filter(([k]) => !keyAttributes.includes(k)));

const itemToGrant = (item: Record<string, unknown>): Grant => withoutKeys(item) as unknown as Grant;
const itemToEvent = (item: Record<string, unknown>): AuditEvent => withoutKeys(item) as unknown as AuditEvent;
const itemToKill = (item: Record<string, unknown>): StoredKill => withoutKeys(item) as unknown as StoredKill;

export {
  EVENT_SK_PREFIX,
  eventToItem,
  GRANT_SK,
  grantPk,
  grantToItem,
  itemToEvent,
  itemToGrant,
  itemToKill,
  KILL_PARTITION,
  killLeaseKey,
  killPk,
  killSk,
  killToItem,
  requesterPk,
  rolePk,
  statePk,
};
