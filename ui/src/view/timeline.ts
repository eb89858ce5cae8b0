import type { ActivityView, AuditView } from './types.js';

interface TimelineEntry {
  readonly at: string;
  /** Where it comes from: the audit chain, the recorded/CloudTrail activity, or the kill's effect. */
  readonly source: 'chain' | 'activity' | 'kill';
  readonly title: string;
  readonly detail: string;
  /** Something a reviewer should look at: a call after the end that got through, a broken kill. */
  readonly alarming: boolean;
}

const EVENT_TITLES: Readonly<Record<string, string>> = {
  'grant.requested': 'Requested',
  'grant.approval-recorded': 'Approval recorded',
  'grant.approved': 'Approved',
  'grant.auto-approved': 'Approved by policy',
  'grant.denied': 'Denied',
  'grant.cancelled': 'Cancelled',
  'grant.credentials-issued': 'Credentials issued',
  'grant.activated': 'Active',
  'grant.extended': 'Extended',
  'grant.extension-requested': 'Extension requested',
  'grant.extension-approval-recorded': 'Extension approval recorded',
  'grant.extension-denied': 'Extension denied',
  'grant.ended': 'Ended (done)',
  'grant.revoked': 'Revoked',
  'grant.expired': 'Expired',
  'grant.sessions-killed': 'Kill written',
  'grant.kill-pruned': 'Kill pruned',
  'grant.reviewed': 'Break-glass reviewed',
  'grant.anomaly-detected': 'Anomaly detected',
};

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** The details a reader needs for one chain event, as plain text (never markup). */
const eventDetail = (type: string, actor: string, details: Readonly<Record<string, unknown>>): string => {
  const parts = [`by ${actor}`];
  const accessKeyId = str(details.accessKeyId);
  if (accessKeyId) parts.push(`access key ${accessKeyId}`);
  const expiration = str(details.expiration);
  if (expiration) parts.push(`valid until ${expiration}`);
  const comment = str(details.comment) ?? str(details.reason);
  if (comment) parts.push(`“${comment}”`);
  if (type === 'grant.sessions-killed' || type === 'grant.kill-pruned') {
    const until = str(details.until);
    if (until) parts.push(`until ${until}`);
  }
  return parts.join(' · ');
};

const activityEntries = (activity: ActivityView): TimelineEntry[] => {
  const source = activity.source === 'cloudtrail-lookup' ? 'CloudTrail' : 'recorded';
  const entries: TimelineEntry[] = [];
  const actions = Object.entries(activity.actions)
    .map(([action, count]) => `${action} ×${count}`)
    .join(', ');
  if (activity.firstUsedAt) {
    entries.push({
      at: activity.firstUsedAt,
      source: 'activity',
      title: `First call (${source})`,
      detail: `${activity.calls} calls in all: ${actions || 'none'}; ${activity.refusedWhileLive} refused while live`,
      alarming: false,
    });
  }
  if (activity.lastUsedAt && activity.lastUsedAt !== activity.firstUsedAt) {
    entries.push({
      at: activity.lastUsedAt,
      source: 'activity',
      title: `Last call (${source})`,
      detail: '',
      alarming: false,
    });
  }
  for (const call of activity.afterEnd) {
    const refused = call.outcome === 'refused';
    entries.push({
      at: call.at,
      source: 'activity',
      title: `${call.action} after the end: ${call.outcome}`,
      detail: `${call.errorCode ? `${call.errorCode} · ` : ''}event ${call.eventId} (${source})`,
      alarming: !refused,
    });
  }
  const kill = activity.kill;
  if (kill?.firstRefusalAt) {
    entries.push({
      at: kill.firstRefusalAt,
      source: 'kill',
      title: 'AWS first refused a call: the kill took hold',
      detail:
        kill.propagationSeconds === null
          ? `verdict ${kill.verdict}`
          : `${kill.propagationSeconds} s after the kill was written · verdict ${kill.verdict}`,
      alarming: false,
    });
  }
  return entries;
};

/**
 * One timeline from the audit chain and the grant's activity (CloudTrail's when looked up, else
 * the recorder's), oldest first; at equal times chain events come first, as they caused the rest.
 */
const buildTimeline = (audit: AuditView): TimelineEntry[] => {
  const chain: TimelineEntry[] = audit.events.map((event) => ({
    at: event.at,
    source: 'chain',
    title: EVENT_TITLES[event.type] ?? event.type,
    detail: eventDetail(event.type, event.actor, event.details),
    alarming: event.type === 'grant.anomaly-detected',
  }));
  const activity = activityEntries(audit.cloudTrail ?? audit.activity);
  const order = { chain: 0, activity: 1, kill: 2 } as const;
  return [...chain, ...activity].sort((a, b) => a.at.localeCompare(b.at) || order[a.source] - order[b.source]);
};

/** The chain's verification verdict in one sentence. */
const chainVerdictText = (chain: AuditView['chain']): string =>
  chain.valid
    ? `Chain verified: ${chain.length} events, head ${chain.head.slice(0, 12)}…`
    : `Chain BROKEN at event ${chain.brokenAt} of ${chain.length}: ${chain.reason}`;

/** Where the kill stands, from the activity's kill effect (present once the grant has ended). */
const killStateText = (audit: AuditView): string => {
  const kill = (audit.cloudTrail ?? audit.activity).kill;
  if (kill === undefined) return 'No kill: the grant has not ended.';
  if (kill.verdict === 'not-needed') return 'No kill needed: no credentials were still valid at the end.';
  const applied = kill.appliedAt ? `written ${kill.appliedAt}` : 'not written yet';
  const refused = kill.firstRefusalAt ? `, first refusal ${kill.firstRefusalAt}` : '';
  return `Kill ${applied}${refused} (verdict: ${kill.verdict}).`;
};

export type { TimelineEntry };
export { buildTimeline, chainVerdictText, killStateText };
