import type { ActivityUse } from '../domain/activity.js';
import {
  type AnomalyFinding,
  type AnomalyRule,
  alreadyFound,
  anomalyFact,
  lateSuccessFinding,
  refusedCallsFinding,
  rulesFor,
} from '../domain/anomaly.js';
import { ConcurrentUpdateError, ConflictError } from '../domain/errors.js';
import type { Grant } from '../domain/grant.js';
import { isTerminal } from '../domain/grantState.js';
import type { LateSuccess } from '../domain/killEffect.js';
import type { BrokerDeps } from './deps.js';
import { revokeGrantForAnomaly, settleEnd } from './endGrant.js';

const MAX_ATTEMPTS = 8;

/** What the recorder saw that anomaly rules look at (docs/audit.md, "Anomaly rules"). */
type Suspicion =
  | { readonly trigger: 'refused-calls' }
  | {
      readonly trigger: 'used-after-end';
      readonly endedAt: string;
      readonly killAppliedAt: string | undefined;
      readonly lateSuccess: LateSuccess;
    };

type Response = 'revoked' | 'end-settled' | 'flagged' | 'already-acted';

/**
 * Runs the anomaly rules of the grant's role on the call just recorded — or redelivered: every
 * step is idempotent, so a retry completes a response that failed half-way, and each rule acts on
 * a grant once.
 */
const respondToAnomalies = async (
  deps: BrokerDeps,
  grant: Grant,
  use: ActivityUse,
  suspicion: Suspicion
): Promise<void> => {
  for (const rule of rulesFor(deps.config.anomaly, grant.roleId, suspicion.trigger)) {
    const finding =
      suspicion.trigger === 'refused-calls'
        ? await refusedCallsAround(deps, grant.id, use, rule)
        : lateSuccessFinding(rule, use, suspicion.endedAt, suspicion.killAppliedAt, suspicion.lateSuccess);
    if (finding === undefined) continue;
    const response = await respond(deps, grant.id, finding);
    if (response === 'already-acted') continue;
    deps.logger.warn('anomaly rule fired', { grantId: grant.id, rule: rule.id, response });
    await deps.alerts.raise('anomaly', {
      grantId: grant.id,
      requester: grant.requester,
      role: grant.roleId,
      rule: rule.id,
      response,
      reason: finding.reason,
      evidence: finding.evidence,
    });
  }
};

/**
 * Whether the rule fires on the refused calls near `use`: every window that holds `use` lies within
 * one window's length of it, and a burst whose calls arrive out of order is found by its last one.
 */
const refusedCallsAround = async (
  deps: BrokerDeps,
  grantId: string,
  use: ActivityUse,
  rule: AnomalyRule
): Promise<AnomalyFinding | undefined> => {
  if (rule.trigger !== 'refused-calls') return undefined;
  const at = Date.parse(use.at);
  const reach = rule.windowSeconds * 1000;
  const calls = await deps.activity.refusedWhileLive(grantId, {
    from: new Date(at - reach).toISOString(),
    to: new Date(at + reach).toISOString(),
  });
  return refusedCallsFinding(rule, calls);
};

/**
 * `revoke` ends a live grant through the one ending path, the evidence in its revocation event. A
 * grant that has already ended cannot be revoked: its end is settled again (the kill policy rendered
 * from the table and written anew — a deny someone removed comes back, a kill not yet applied is
 * applied), then the evidence is recorded. `flag` only records the evidence.
 */
const respond = async (deps: BrokerDeps, grantId: string, finding: AnomalyFinding): Promise<Response> => {
  const grant = await deps.store.get(grantId);
  if (grant === undefined) return 'already-acted';
  if (finding.rule.response === 'revoke' && !isTerminal(grant.state)) {
    try {
      await revokeGrantForAnomaly(deps, grantId, finding);
      return 'revoked';
    } catch (error) {
      // Ended by someone else meanwhile: respond as for an ended grant.
      if (!(error instanceof ConflictError)) throw error;
    }
  }
  if (finding.rule.response === 'revoke') {
    if (alreadyFound(await deps.store.auditTrail(grantId), finding.rule)) return 'already-acted';
    // Before the evidence: a retry after a failure here settles again (idempotent), and once the
    // evidence is in the chain the rule has acted.
    const ended = await deps.store.get(grantId);
    if (ended !== undefined) await settleEnd(deps, ended);
  }
  const recorded = await recordFinding(deps, grantId, finding);
  if (!recorded) return 'already-acted';
  return finding.rule.response === 'revoke' ? 'end-settled' : 'flagged';
};

/** The finding in the grant's chain, once per rule: read, check, append — again if another writer won. */
const recordFinding = async (deps: BrokerDeps, grantId: string, finding: AnomalyFinding): Promise<boolean> => {
  for (let attempt = 1; ; attempt++) {
    // The grant first, then its events: a finding appended after this read either shows in the
    // events or makes the write below fail on the grant's version.
    const grant = await deps.store.get(grantId);
    if (grant === undefined || alreadyFound(await deps.store.auditTrail(grantId), finding.rule)) return false;
    try {
      await deps.store.transition(grant, anomalyFact(grant, finding, deps.clock.now()));
      return true;
    } catch (error) {
      if (!(error instanceof ConcurrentUpdateError) || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
};

export type { Suspicion };
export { respondToAnomalies };
