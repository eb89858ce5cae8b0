import type { EndedGrantView } from './api/brokerApi.js';
import { ApiError, EXIT } from './errors.js';

/** What the answer says became of the grant's live sessions: no more than the broker knows. */
const endReport = (g: EndedGrantView): string => {
  const kill: Record<NonNullable<EndedGrantView['sessionKill']>['status'], string> = {
    applied: 'its live sessions are denied (IAM applies that within seconds)',
    pending:
      'its live sessions will be denied as soon as the kill being written on its role includes it (jit audit shows grant.sessions-killed)',
    failed:
      'the kill of its live sessions could not be written yet; security is alerted and it is retried: they may work until then',
    'not needed': 'none of its credentials was still valid',
  };
  const status = g.sessionKill?.status;
  const said = status === undefined ? 'the broker did not say whether its live sessions are denied yet' : kill[status];
  const org = g.sessionKill?.organization;
  return `${g.id} is ${g.state}: ${said}${org === undefined || org === 'applied' ? '' : ` (organization-wide kill: ${org})`}`;
};

/** States a grant never leaves: done on them has nothing to do. */
const OVER = /\bis (ENDED|REVOKED|EXPIRED|DENIED|CANCELLED) and cannot\b/;

/**
 * Whether a refused done means "already over": a second done, or done after the expiry, a revoke
 * or a cancel. The broker answers those with 409 and the state in its message (grantState.ts).
 * Returns that message, for a note: `jit done` and `jit ci done` then exit 0.
 */
const overAlready = (error: unknown): string | undefined => {
  if (!(error instanceof ApiError) || error.status !== 409) return undefined;
  if (error.exitCode !== EXIT.grantClosed && !OVER.test(error.message)) return undefined;
  return error.message.replace(/ \[409 [A-Z_]+\]$/, '');
};

export { endReport, overAlready };
