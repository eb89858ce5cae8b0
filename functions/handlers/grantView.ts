import type { GrantAudit } from '../app/grantAudit.js';
import type { AuditEvent } from '../domain/auditChain.js';
import type { Grant } from '../domain/grant.js';

/** The API's picture of a grant: everything but the internal chain head. */
const grantView = ({ chainHead: _chainHead, ...grant }: Grant) => grant;

const eventView = ({ grantId: _grantId, ...event }: AuditEvent) => event;

const auditView = ({ grant, events, chain }: GrantAudit) => ({
  grantId: grant.id,
  state: grant.state,
  chain,
  events: events.map(eventView),
});

export { auditView, grantView };
