import { type AuditEvent, type ChainVerdict, verifyChain } from '../domain/auditChain.js';
import type { Caller } from '../domain/caller.js';
import type { Grant } from '../domain/grant.js';
import type { BrokerDeps } from './deps.js';
import { loadVisibleGrant } from './grantAccess.js';

interface GrantAudit {
  readonly grant: Grant;
  readonly events: readonly AuditEvent[];
  readonly chain: ChainVerdict;
}

/** The grant's whole history and whether its hash chain still holds. */
const auditGrant = async (deps: BrokerDeps, caller: Caller, grantId: string): Promise<GrantAudit> => {
  const grant = await loadVisibleGrant(deps, grantId, caller);
  const events = await deps.store.auditTrail(grantId);
  const chain = verifyChain(events, grant.chainHead);
  if (!chain.valid) {
    deps.logger.warn('audit chain broken', { grantId, brokenAt: chain.brokenAt, reason: chain.reason });
  }
  return { grant, events, chain };
};

export type { GrantAudit };
export { auditGrant };
