import type { CallOutcome } from '../functions/domain/callOutcome.js';
import { formatDuration } from '../functions/domain/duration.js';
import type { KillEffect } from '../functions/domain/killEffect.js';
import { displaySafeLines, displaySafe as safe } from '../functions/domain/untrustedText.js';
import type { ActivityView, GrantView } from './api/brokerApi.js';
import { shellQuote } from './profile/awsConfigBlock.js';

/*
 * Every grant field is someone's input (a requester's reason, an approver's comment, an ARN, a CI
 * claim) shown on another person's terminal, so each goes through `safe` (domain/untrustedText.ts):
 * control, format and bidi characters become visible \uXXXX escapes. processIo applies the same
 * function to whole lines as a backstop.
 */

/** Where the CLI writes. Results go to stdout; progress, notes and errors to stderr. */
interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Whether stderr is a terminal: spinners there, plain lines otherwise. */
  readonly interactive: boolean;
  /** Redraws the one status line on a terminal (no newline); '' clears it. */
  progress(text: string): void;
}

/** JSON for scripts; escaping bidi and C1 characters JSON.stringify leaves raw keeps it the same JSON. */
const printJson = (io: Io, value: unknown): void => io.out(displaySafeLines(JSON.stringify(value, null, 2)));

/** The first `length` characters of untrusted text, made safe first so an escape cannot be cut into a control. */
const clipped = (text: string, length: number): string => [...safe(text)].slice(0, length).join('');

/**
 * A timestamp as people read it: this machine's local time with its zone ("23 Nov 2026, 13:00:05 CET");
 * the API and --json keep UTC ISO 8601. TZ decides the zone, as for every other tool.
 */
const localTime = (iso: string): string =>
  new Date(iso).toLocaleString('en-GB', {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    timeZoneName: 'short',
  });

/** "in 25m", "12m ago" — the way people read expiry times. */
const relative = (iso: string | undefined, now: Date): string => {
  if (iso === undefined) return '-';
  const seconds = Math.round((Date.parse(iso) - now.getTime()) / 1000);
  const span = formatDuration(
    Math.abs(seconds) >= 60 ? Math.abs(seconds) - (Math.abs(seconds) % 60) : Math.abs(seconds)
  );
  return seconds >= 0 ? `in ${span}` : `${span} ago`;
};

/** The time that matters for the grant's state: pending deadline, expiry, or when it ended. */
const when = (grant: GrantView, now: Date): string => {
  switch (grant.state) {
    case 'PENDING':
      return `decide ${relative(grant.pendingUntil, now)}`;
    case 'APPROVED':
    case 'ACTIVE':
      return `expires ${relative(grant.expiresAt, now)}`;
    default:
      return `ended ${relative(grant.endedAt, now)}`;
  }
};

/**
 * What an approver must know about a grant that names actions the kill cannot follow (chaining
 * into other roles, creating credentials…: docs/vending.md); undefined for every other grant.
 */
const outlivesKillNote = (grant: GrantView): string | undefined =>
  grant.mayOutliveKill === undefined || grant.mayOutliveKill.length === 0
    ? undefined
    : `may outlive the kill: it names ${safe(grant.mayOutliveKill.join(', '))}, which a session can use to keep access ` +
      'after the grant ends (docs/vending.md)';

/** The table of a listing; a flagged grant gets a line of its own below it. */
const grantTable = (grants: readonly GrantView[], now: Date): string => {
  const rows = [
    ['ID', 'STATE', 'ROLE', 'REQUESTER', 'WHEN', 'REASON'],
    ...grants.map((g) => [safe(g.id), g.state, safe(g.roleId), safe(g.requester), when(g, now), clipped(g.reason, 50)]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const notes = grants.flatMap((g) => {
    const note = outlivesKillNote(g);
    return note === undefined ? [] : [`! ${safe(g.id)} ${note}`];
  });
  return [
    ...rows.map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd()
    ),
    ...notes,
  ].join('\n');
};

/** The CI job a workload grant was vended to: its claims, as the issuer signed them. */
const ciJob = (job: NonNullable<GrantView['workload']>): string =>
  safe(`${job.repository} ${job.ref} (${job.platform}, run ${job.runId}, by ${job.actor})`);

const grantDetails = (grant: GrantView, now: Date): string => {
  const lines: [string, string | undefined][] = [
    ['grant', `${safe(grant.id)}  ${grant.state}`],
    ['role', `${safe(grant.roleId)} (${safe(grant.roleArn)})`],
    ['requester', safe(grant.requester)],
    ['for', formatDuration(grant.durationSeconds)],
    ['reason', safe(grant.reason)],
    ['ticket', grant.ticket === undefined ? undefined : safe(grant.ticket)],
    ['actions', safe(grant.scope.actions.join(', '))],
    ['resources', safe(grant.scope.resources.join(', '))],
    ['ci job', grant.workload === undefined ? undefined : ciJob(grant.workload)],
    ['warning', outlivesKillNote(grant)],
    [
      'approvals',
      // Approved with no human approval: a policy approved it (auto-approval or break-glass).
      grant.approvedAt !== undefined && grant.approvals.length === 0
        ? `none needed: approved by policy${grant.breakGlass ? ' (break-glass)' : ''}`
        : `${grant.approvals.length}/${grant.requiredApprovals} from ${safe(grant.approvers.join(', '))}`,
    ],
    ...grant.approvals.map((a): [string, string] => [
      '',
      `${safe(a.by)} ${relative(a.at, now)}${a.comment ? `: ${safe(a.comment)}` : ''}`,
    ]),
    ['when', when(grant, now)],
    [
      'ended by',
      grant.endedBy === undefined
        ? undefined
        : `${safe(grant.endedBy)}${grant.endReason ? `: ${safe(grant.endReason)}` : ''}`,
    ],
    [
      'review',
      grant.review === undefined
        ? undefined
        : grant.review.reviewedAt === undefined
          ? 'break-glass: security has not reviewed it yet'
          : `reviewed by ${safe(grant.review.reviewedBy ?? '')} ${relative(grant.review.reviewedAt, now)}: ${safe(grant.review.comment ?? '')}`,
    ],
    [
      'extension',
      grant.extension
        ? `+${formatDuration(grant.extension.durationSeconds)} waiting: ${safe(grant.extension.reason)}`
        : undefined,
    ],
  ];
  return lines
    .filter((line): line is [string, string] => line[1] !== undefined)
    .map(([label, value]) => `${label.padEnd(10)} ${value}`)
    .join('\n');
};

/** The connection flags the user typed (--api, --as, …), to repeat in the commands a hint prints. */
const typedConnectionFlags = (values: Readonly<Record<string, unknown>>): string =>
  ['api', 'api-region', 'as', 'aws-profile']
    .filter((flag) => typeof values[flag] === 'string')
    .map((flag) => ` --${flag} ${shellQuote(values[flag] as string)}`)
    .join('');

/**
 * What to do with an approved grant, so nobody has to look it up. Every line works as printed:
 * `again` repeats the connection flags the user typed, and `aws` spells out the sandbox's emulator.
 */
const nextSteps = (
  grant: Pick<GrantView, 'id' | 'roleId'>,
  again: string,
  aws: (args: string) => string,
  sandbox: boolean
): string =>
  [
    'Use it:',
    `  jit exec ${grant.id}${again} -- ${aws('sts get-caller-identity')}`,
    `  jit setup-profile ${grant.roleId}${again}   # then: ${aws(`--profile jit-${grant.roleId} sts get-caller-identity`)}`,
    sandbox ? '  (jit console needs real AWS: the sandbox has no console)' : `  jit console ${grant.id}${again} --open`,
    `When the task is done: jit done ${grant.id}${again}`,
  ].join('\n');

const KILL_VERDICTS: Readonly<Record<KillEffect['verdict'], string>> = {
  'not-needed': 'not needed (no credential outlived the end)',
  pending: 'not in force yet',
  untested: 'in force; nothing has tried the sessions since the end',
  held: 'held',
  'did-not-hold': 'DID NOT HOLD: a call got through after it was in force',
};

const OUTCOMES: Readonly<Record<CallOutcome, string>> = {
  refused: 'refused',
  succeeded: 'SUCCEEDED',
  failed: 'failed',
  undeniable: 'not deniable',
};

/** The kill, measured: when it was in force and how long AWS took to refuse the first call (IAM propagation). */
const killLine = (kill: KillEffect): string => {
  const parts = [`kill: ${KILL_VERDICTS[kill.verdict]}`];
  if (kill.appliedAt !== null) parts.push(`in force ${kill.appliedAt}`);
  if (kill.propagationSeconds !== null) {
    parts.push(`AWS first refused a call ${kill.propagationSeconds} s later (IAM propagation)`);
  }
  return `  ${parts.join('; ')}`;
};

/** The activity block of `jit audit`: calls per action, first/last use, refusals, the kill, and any use after the end. */
const activityLines = (title: string, activity: ActivityView): string => {
  const lines =
    activity.calls === 0
      ? [`${title}: no calls recorded`]
      : [
          `${title}: ${activity.calls} calls, first ${localTime(activity.firstUsedAt as string)}, last ${localTime(activity.lastUsedAt as string)}`,
        ];
  const byCount = Object.entries(activity.actions).sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
  for (const [action, count] of byCount) lines.push(`  ${String(count).padStart(5)}  ${safe(action)}`);
  if ((activity.refusedWhileLive ?? 0) > 0) {
    lines.push(`  refused while live: ${activity.refusedWhileLive} call(s) outside the grant's scope`);
  }
  if (activity.kill !== undefined) lines.push(killLine(activity.kill));
  if (activity.afterEndCount > 0) {
    const outcomes = activity.afterEndOutcomes;
    const split =
      outcomes === undefined
        ? ''
        : `: ${(Object.keys(OUTCOMES) as CallOutcome[]).map((o) => `${outcomes[o]} ${OUTCOMES[o]}`).join(', ')}`;
    lines.push(`  after the end (beyond the grace): ${activity.afterEndCount} call(s)${split}`);
    if ((outcomes?.succeeded ?? 0) > 0) lines.push(`  USED AFTER END: ${outcomes?.succeeded} call(s) got through`);
    for (const call of activity.afterEnd) {
      const answer = [call.outcome ? OUTCOMES[call.outcome] : undefined, call.errorCode].filter(Boolean).join(' ');
      lines.push(safe(`    ${call.at}  ${call.action}${answer ? `  ${answer}` : ''}  event ${call.eventId}`));
    }
  }
  return lines.join('\n');
};

export type { Io };
export { activityLines, grantDetails, grantTable, localTime, nextSteps, printJson, relative, typedConnectionFlags };
