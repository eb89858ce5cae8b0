import type { BrokerApi, GrantView } from '../api/brokerApi.js';
import { GrantClosedError } from '../errors.js';
import { endOf } from './grantLiveness.js';

/** Grants last hours and extensions add hours; nothing older than this can still be live. */
const LOOKBACK_MS = 7 * 24 * 60 * 60 * 1000;
const PAGE_SIZE = 100;

/** The caller's grants for a role that are live now, and the newest PENDING one. */
interface RoleGrants {
  readonly live: readonly GrantView[];
  readonly pending?: GrantView;
}

/** Pages through the caller's grants (newest first) until they are older than any live grant can be. */
const roleGrants = async (api: Pick<BrokerApi, 'list'>, roleId: string, now: Date): Promise<RoleGrants> => {
  const live: GrantView[] = [];
  let pending: GrantView | undefined;
  const since = now.getTime() - LOOKBACK_MS;
  let cursor: string | undefined;
  do {
    const page = await api.list({ limit: PAGE_SIZE, ...(cursor === undefined ? {} : { cursor }) });
    for (const grant of page.grants.filter((g) => g.roleId === roleId)) {
      if (grant.state === 'PENDING') pending ??= grant;
      else if (endOf(grant, now) === undefined) live.push(grant);
    }
    const oldest = page.grants.at(-1);
    cursor = oldest !== undefined && Date.parse(oldest.createdAt) >= since ? page.nextCursor : undefined;
  } while (cursor !== undefined);
  return { live, ...(pending === undefined ? {} : { pending }) };
};

/** The live grant that lasts longest: the one a role's profile should use. */
const longestLasting = (grants: readonly GrantView[]): GrantView | undefined =>
  [...grants].sort((a, b) => (b.expiresAt ?? '').localeCompare(a.expiresAt ?? ''))[0];

/** How to get a grant for the role, for every message that finds none. */
const requestHint = (roleId: string): string =>
  `jit request ${roleId} --action … --resource … --for 30m --reason "…" --wait`;

/** Why there are no credentials for the role, and what to do about it. */
const noLiveGrant = (roleId: string, pending: GrantView | undefined): GrantClosedError =>
  new GrantClosedError(
    pending === undefined
      ? `you have no live grant for ${roleId}; request one: ${requestHint(roleId)}`
      : `your grant ${pending.id} for ${roleId} is still PENDING: it gives credentials once approved (jit show ${pending.id})`
  );

/** The id of the caller's live grant for `roleId`; exit 3 saying how to get one when there is none. */
const liveGrantIdForRole = async (api: Pick<BrokerApi, 'list'>, roleId: string, now: Date): Promise<string> => {
  const { live, pending } = await roleGrants(api, roleId, now);
  const grant = longestLasting(live);
  if (grant === undefined) throw noLiveGrant(roleId, pending);
  return grant.id;
};

export { liveGrantIdForRole, longestLasting, requestHint, roleGrants };
