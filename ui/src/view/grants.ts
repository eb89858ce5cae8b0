import type { GrantView, SessionInfo } from './types.js';

/** States in which a grant can still give credentials (or will once approved). */
const LIVE_STATES: ReadonlySet<string> = new Set(['PENDING', 'APPROVED', 'ACTIVE']);

/**
 * Why `user` may not approve this grant, or undefined. The API refuses the same cases (and decides
 * group membership, which the page cannot see); hiding the button only spares a useless click.
 */
const approvalBlock = (grant: GrantView, user: string): string | undefined => {
  if (grant.state !== 'PENDING') return `it is ${grant.state}`;
  if (grant.requester === user) return 'you asked for it: someone else must approve';
  if (grant.approvals.some((a) => a.by === user)) return 'you have already approved it';
  return undefined;
};

/** The policy's explanation an approver reads: who may approve, quorum progress, who already did. */
const quorumText = (grant: GrantView): string => {
  const done = grant.approvals.length;
  const who = done === 0 ? 'no approvals yet' : `approved by ${grant.approvals.map((a) => a.by).join(', ')}`;
  return `${done} of ${grant.requiredApprovals} approvals (${who}); approvers: ${grant.approvers.join(', ')}`;
};

/** Why this grant is in `user`'s inbox: the policy named them, or a group of theirs, as an approver. */
const whyApprover = (grant: GrantView, user: string): string => {
  const named = grant.approvers.includes(user) ? 'you by name' : `a group you are in (${grant.approvers.join(', ')})`;
  return `The policy for ${grant.roleId} names ${named} as approver.`;
};

const shellQuote = (text: string): string =>
  /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;

/**
 * The lines that put a grant to use, as the CLI would write them: `jit setup-profile` and the
 * credential_process entry it writes (sandbox: `--as <user>`; deployed: SigV4 from the AWS chain).
 */
const profileLines = (grant: GrantView, session: SessionInfo, user: string): { setup: string; process: string } => {
  const identity = session.mode === 'sandbox' ? ` --as ${shellQuote(user)}` : '';
  const api = shellQuote(session.apiUrl);
  return {
    setup: `jit setup-profile ${grant.id} --api ${api}${identity}   # then: aws --profile jit-${grant.roleId} …`,
    process: `credential_process = jit creds ${grant.id} --format process --api ${api}${identity}`,
  };
};

const DURATION = /^(\d{1,4})\s*(m|h)$/;

/** "30m" / "2h" → seconds, or an error message saying what to type. */
const parseDuration = (text: string): number | string => {
  const match = DURATION.exec(text.trim());
  if (!match) return 'type a duration such as 30m or 2h';
  const seconds = Number(match[1]) * (match[2] === 'h' ? 3600 : 60);
  return seconds > 0 ? seconds : 'the duration must be more than zero';
};

const IAM_ACTION = /^[a-z0-9-]{1,32}:[A-Za-z0-9*?]{1,128}$/;
const RESOURCE = /^(\*|arn:aws[a-z-]*:[a-z0-9-]*:[a-z0-9-]*:(\d{12})?:[^\s]{1,2000})$/;

/** Checks one line of the scope builder as it is typed; undefined when it looks right. */
const checkScopeLine = (kind: 'action' | 'resource', text: string): string | undefined => {
  if (text === '') return undefined;
  if (kind === 'action')
    return IAM_ACTION.test(text) ? undefined : "actions look like 'service:Action', e.g. s3:GetObject";
  return RESOURCE.test(text) ? undefined : "resources are ARNs (arn:aws:service:region:account:…) or '*'";
};

const splitLines = (text: string): string[] =>
  text
    .split(/[\n,]/)
    .map((line) => line.trim())
    .filter((line) => line !== '');

/** How long is left, for the live status line. */
const remainingText = (grant: GrantView, now: Date): string => {
  if (grant.expiresAt === undefined) return grant.state === 'PENDING' ? `pending until ${grant.pendingUntil}` : '';
  const seconds = Math.round((Date.parse(grant.expiresAt) - now.getTime()) / 1000);
  if (seconds <= 0) return `ended ${grant.endedAt ?? grant.expiresAt}`;
  return `${Math.floor(seconds / 60)} min ${seconds % 60} s left (until ${grant.expiresAt})`;
};

export {
  approvalBlock,
  checkScopeLine,
  LIVE_STATES,
  parseDuration,
  profileLines,
  quorumText,
  remainingText,
  splitLines,
  whyApprover,
};
