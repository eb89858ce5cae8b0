import type { BrokerApi, GrantView } from '../api/brokerApi.js';
import { GrantClosedError } from '../errors.js';
import type { FileCache, RoleChoice } from './credentialCache.js';
import { endOf, stampHolds } from './grantLiveness.js';

/** Grants last hours and extensions add hours; nothing older than this can still be live. */
const LOOKBACK_MS = 7 * 24 * 60 * 60 * 1000;
const PAGE_SIZE = 100;

/** The caller's grants for a role that are live now, the newest PENDING one, and the ended ones. */
interface RoleGrants {
  readonly live: readonly GrantView[];
  readonly pending?: GrantView;
  readonly ended: readonly GrantView[];
}

/** Pages through the caller's grants (newest first) until they are older than any live grant can be. */
const roleGrants = async (api: Pick<BrokerApi, 'list'>, roleId: string, now: Date): Promise<RoleGrants> => {
  const live: GrantView[] = [];
  const ended: GrantView[] = [];
  let pending: GrantView | undefined;
  const since = now.getTime() - LOOKBACK_MS;
  let cursor: string | undefined;
  do {
    const page = await api.list({ limit: PAGE_SIZE, ...(cursor === undefined ? {} : { cursor }) });
    for (const grant of page.grants.filter((g) => g.roleId === roleId)) {
      if (grant.state === 'PENDING') pending ??= grant;
      else if (endOf(grant, now) === undefined) live.push(grant);
      else ended.push(grant);
    }
    const oldest = page.grants.at(-1);
    cursor = oldest !== undefined && Date.parse(oldest.createdAt) >= since ? page.nextCursor : undefined;
  } while (cursor !== undefined);
  return { live, ended, ...(pending === undefined ? {} : { pending }) };
};

/** The live grant that lasts longest: the one a role's profile should use. */
const longestLasting = (grants: readonly GrantView[]): GrantView | undefined =>
  [...grants].sort((a, b) => (b.expiresAt ?? '').localeCompare(a.expiresAt ?? ''))[0];

/** How to get a grant for the role, for every message that finds none. */
const requestHint = (roleId: string): string =>
  `jit request ${roleId} --action … --resource … --for 30m --reason "…" --wait`;

/**
 * Why there are no credentials for the role, and what to do about it. When the grant the profile
 * used has just ended, its end (who ended it and why) comes first.
 */
const noLiveGrant = (roleId: string, pending: GrantView | undefined, lastUsedEnd?: string): GrantClosedError => {
  if (pending !== undefined) {
    return new GrantClosedError(
      `${lastUsedEnd === undefined ? '' : `${lastUsedEnd}; `}your grant ${pending.id} for ${roleId} is still PENDING: it gives credentials once approved (jit show ${pending.id})`
    );
  }
  return new GrantClosedError(
    lastUsedEnd === undefined
      ? `you have no live grant for ${roleId}; request one: ${requestHint(roleId)}`
      : `${lastUsedEnd}; you have no other live grant for ${roleId}; request one: ${requestHint(roleId)}`
  );
};

/**
 * The id of the caller's live grant for `roleId`; exit 3 saying how to get one when there is none
 * (naming the end of `lastUsed`, the grant the profile used before, when it is among the ended).
 */
const liveGrantIdForRole = async (
  api: Pick<BrokerApi, 'list'>,
  roleId: string,
  now: Date,
  lastUsed?: string
): Promise<string> => {
  const { live, pending, ended } = await roleGrants(api, roleId, now);
  const grant = longestLasting(live);
  if (grant === undefined) {
    const previous = ended.find((g) => g.id === lastUsed);
    throw noLiveGrant(roleId, pending, previous === undefined ? undefined : endOf(previous, now));
  }
  return grant.id;
};

interface RoleChoiceDeps {
  readonly api: Pick<BrokerApi, 'list'>;
  readonly choices: FileCache<RoleChoice>;
  readonly choiceKey: string;
  readonly now: () => Date;
  /** How long a choice counts: the same bound as the broker's word that a grant is live. */
  readonly recheckAfterMs: number;
}

/**
 * The grant a role's profile uses, remembered for the re-check bound: the AWS CLI runs
 * credential_process for every command, and without this each one would list the caller's grants
 * (and load the request signer to do it). Within the bound the answer costs one file read; the
 * grant's own session entry still decides whether anything is handed out (credentialSource.ts).
 * A grant that started since is chosen at the next list, at most one bound later. `ended`: the
 * grant just found ended — choose again now, and name its end if no other grant is live.
 */
const rememberedGrantForRole = async (deps: RoleChoiceDeps, roleId: string, ended?: string): Promise<string> => {
  const now = deps.now();
  const remembered = deps.choices.read(deps.choiceKey);
  const usable = remembered !== undefined && remembered.grantId !== ended;
  if (usable && stampHolds(remembered.chosenAt, now, deps.recheckAfterMs)) return remembered.grantId;
  let grantId: string;
  try {
    grantId = await liveGrantIdForRole(deps.api, roleId, now, ended ?? remembered?.grantId);
  } catch (error) {
    deps.choices.remove(deps.choiceKey);
    throw error;
  }
  deps.choices.write(deps.choiceKey, { grantId, chosenAt: now.toISOString() });
  return grantId;
};

export type { RoleChoiceDeps };
export { liveGrantIdForRole, longestLasting, rememberedGrantForRole, requestHint, roleGrants };
