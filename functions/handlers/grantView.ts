import type { EndedGrant } from '../app/endGrant.js';
import type { GrantAudit } from '../app/grantAudit.js';
import type { AuditEvent } from '../domain/auditChain.js';
import type { Grant } from '../domain/grant.js';
import type { IssuedCredentials } from '../ports.js';

/** The API's picture of a grant: everything but the internal chain head and its signature. */
const grantView = ({ chainHead: _chainHead, chainSignature: _chainSignature, ...grant }: Grant) => grant;

/**
 * The answer to done and revoke: the ended grant and what became of its live sessions' kill
 * (`sessionKill.status`: applied, pending, failed or not needed; see docs/ending-access.md).
 */
const endedView = ({ grant, sessionKill }: EndedGrant) => ({ ...grantView(grant), sessionKill });

const eventView = ({ grantId: _grantId, ...event }: AuditEvent) => event;

/** Fields are only added here: scripts written against earlier versions keep working. */
const auditView = ({ grantId, state, events, chain, killRecord, archive, activity, cloudTrail }: GrantAudit) => ({
  grantId,
  state,
  chain,
  ...(killRecord === undefined ? {} : { killRecord }),
  ...(archive === undefined ? {} : { archive }),
  events: events.map(eventView),
  activity: { ...withoutGrantId(activity), source: 'recorder' },
  ...(cloudTrail === undefined ? {} : { cloudTrail: { ...withoutGrantId(cloudTrail), source: 'cloudtrail-lookup' } }),
});

/**
 * Credentials in the shape AWS's `credential_process` reads (Version 1), so the CLI can hand them
 * to any AWS tool as they are. They are never stored; answers carrying them are marked no-store.
 */
const credentialProcessView = (issued: IssuedCredentials) => ({
  Version: 1,
  AccessKeyId: issued.accessKeyId,
  SecretAccessKey: issued.secretAccessKey,
  SessionToken: issued.sessionToken,
  Expiration: issued.expiration.toISOString(),
});

const withoutGrantId = <T extends { grantId: string }>({ grantId: _grantId, ...rest }: T) => rest;

export { auditView, credentialProcessView, endedView, grantView };
