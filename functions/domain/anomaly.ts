import type { ActivityUse, RefusedCall } from './activity.js';
import type { AuditEvent } from './auditChain.js';
import { formatDuration } from './duration.js';
import { applyTransition, type Grant, type Transition } from './grant.js';
import type { LateSuccess } from './killEffect.js';

/**
 * Anomaly rules (config/anomaly.json, docs/audit.md): what the broker does on its own when a grant's
 * sessions misbehave. Pure: which rules apply, whether one fires on the calls the store returned,
 * and the evidence that goes into the grant's chain.
 */

/**
 * - `refused-calls`: AWS refused at least `threshold` calls of the live grant within `windowSeconds`
 *   (calls outside its scope: probing, or a task that needs more than it asked for);
 * - `used-after-end`: a call succeeded after the grant's end, beyond the grace (docs/audit.md).
 */
type AnomalyTrigger = 'refused-calls' | 'used-after-end';

/**
 * - `revoke`: a live grant is revoked (through endGrant); an ended one has its end settled again
 *   (the kill policy rendered and written anew) — in both cases with the evidence in its chain;
 * - `flag`: the evidence goes into the chain and an alert is raised; the grant is left alone.
 */
type AnomalyResponse = 'revoke' | 'flag';

type AnomalyRule = {
  readonly id: string;
  /** Catalog role ids, or `*` for every role. */
  readonly roles: readonly string[];
  readonly response: AnomalyResponse;
} & (
  | { readonly trigger: 'refused-calls'; readonly threshold: number; readonly windowSeconds: number }
  | { readonly trigger: 'used-after-end' }
);

interface AnomalyConfig {
  readonly rules: readonly AnomalyRule[];
}

/** Without config/anomaly.json the broker responds to nothing on its own (the alerts still fire). */
const NO_ANOMALY_RULES: AnomalyConfig = { rules: [] };

/** Event ids kept as evidence per finding; the count says how many there were. */
const EVIDENCE_EVENTS_KEPT = 20;

type AnomalyEvidence = {
  readonly rule: string;
  readonly response: AnomalyResponse;
} & (
  | {
      readonly trigger: 'refused-calls';
      readonly refusedCalls: number;
      readonly threshold: number;
      readonly windowSeconds: number;
      /** The first and last refused call of the densest window. */
      readonly from: string;
      readonly to: string;
      readonly actions: readonly string[];
      readonly eventIds: readonly string[];
    }
  | {
      readonly trigger: 'used-after-end';
      readonly eventId: string;
      readonly action: string;
      readonly at: string;
      readonly endedAt: string;
      readonly killAppliedAt: string | null;
      readonly lateSuccess: LateSuccess;
    }
);

/** A rule that fired: why (for people) and the evidence (for the chain). */
interface AnomalyFinding {
  readonly rule: AnomalyRule;
  readonly reason: string;
  readonly evidence: AnomalyEvidence;
}

const rulesFor = (config: AnomalyConfig, roleId: string, trigger: AnomalyTrigger): AnomalyRule[] =>
  config.rules.filter((r) => r.trigger === trigger && (r.roles.includes('*') || r.roles.includes(roleId)));

/** The actor an anomaly rule acts as, like `policy:<id>` for the Cedar policies that approve. */
const anomalyActor = (rule: Pick<AnomalyRule, 'id'>): string => `policy:anomaly-${rule.id}`;

/**
 * The most refused calls that fit in one window (first to last at most `windowSeconds` apart,
 * both ends included), the earliest such run; each CloudTrail event counted once.
 */
const densestWindow = (calls: readonly RefusedCall[], windowSeconds: number): RefusedCall[] => {
  const sorted = [...new Map(calls.map((c) => [c.eventId, c])).values()].sort(
    (a, b) => a.at.localeCompare(b.at) || a.eventId.localeCompare(b.eventId)
  );
  let best: RefusedCall[] = [];
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    const last = Date.parse((sorted[end] as RefusedCall).at);
    while (last - Date.parse((sorted[start] as RefusedCall).at) > windowSeconds * 1000) start++;
    if (end - start + 1 > best.length) best = sorted.slice(start, end + 1);
  }
  return best;
};

/** Whether a `refused-calls` rule fires on these refused calls (those near the newest one suffice). */
const refusedCallsFinding = (rule: AnomalyRule, calls: readonly RefusedCall[]): AnomalyFinding | undefined => {
  if (rule.trigger !== 'refused-calls') return undefined;
  const window = densestWindow(calls, rule.windowSeconds);
  if (window.length < rule.threshold) return undefined;
  const first = window[0] as RefusedCall;
  const last = window.at(-1) as RefusedCall;
  return {
    rule,
    reason: `anomaly rule ${rule.id}: AWS refused ${window.length} calls within ${formatDuration(rule.windowSeconds)} (threshold ${rule.threshold})`,
    evidence: {
      rule: rule.id,
      response: rule.response,
      trigger: 'refused-calls',
      refusedCalls: window.length,
      threshold: rule.threshold,
      windowSeconds: rule.windowSeconds,
      from: first.at,
      to: last.at,
      actions: [...new Set(window.map((c) => c.action))].sort(),
      eventIds: window.slice(0, EVIDENCE_EVENTS_KEPT).map((c) => c.eventId),
    },
  };
};

/** A `used-after-end` rule fires on any successful call after the end (the caller checked that). */
const lateSuccessFinding = (
  rule: AnomalyRule,
  use: ActivityUse,
  endedAt: string,
  killAppliedAt: string | undefined,
  verdict: LateSuccess
): AnomalyFinding => ({
  rule,
  reason: `anomaly rule ${rule.id}: ${use.action} succeeded at ${use.at}, after the grant ended at ${endedAt} (${verdict})`,
  evidence: {
    rule: rule.id,
    response: rule.response,
    trigger: 'used-after-end',
    eventId: use.eventId,
    action: use.action,
    at: use.at,
    endedAt,
    killAppliedAt: killAppliedAt ?? null,
    lateSuccess: verdict,
  },
});

/** Whether the chain already holds this rule's finding: each rule acts on a grant once. */
const alreadyFound = (events: readonly AuditEvent[], rule: Pick<AnomalyRule, 'id'>): boolean =>
  events.some((e) => (e.details.anomaly as { rule?: unknown } | undefined)?.rule === rule.id);

/** The finding in the grant's chain, its state unchanged (a flag, or the evidence before an ended grant's kill is settled again). */
const anomalyFact = (grant: Grant, finding: AnomalyFinding, now: Date): Transition =>
  applyTransition(
    grant,
    undefined,
    {},
    {
      type: 'grant.anomaly-detected',
      actor: anomalyActor(finding.rule),
      at: now.toISOString(),
      details: { reason: finding.reason, anomaly: finding.evidence },
    }
  );

export type { AnomalyConfig, AnomalyEvidence, AnomalyFinding, AnomalyResponse, AnomalyRule, AnomalyTrigger };
export {
  alreadyFound,
  anomalyActor,
  anomalyFact,
  densestWindow,
  EVIDENCE_EVENTS_KEPT,
  lateSuccessFinding,
  NO_ANOMALY_RULES,
  refusedCallsFinding,
  rulesFor,
};
