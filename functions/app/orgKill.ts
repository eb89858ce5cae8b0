import { orgKillUntil, renderOrgKillPolicy } from '../domain/orgKill.js';
import type { KillStore, OrgKillPolicy, StoredKill } from '../ports.js';
import type { BrokerDeps } from './deps.js';
import { recordRender } from './killFacts.js';
import { type RenderStatus, renderUnderLease } from './killLease.js';

type OrgKillDeps = Pick<BrokerDeps, 'killLeases' | 'clock' | 'alerts' | 'logger' | 'config'> & {
  readonly store: KillStore;
};

/** The lease key of the organization's kill SCP (role ARNs, the other keys, start with `arn:`). */
const ORG_TARGET = 'organization';

/**
 * Every kill record, read consistently: role by role for the catalog's roles (each role's records
 * are one partition), and through the index for roles since removed from the catalog.
 */
const allKills = async (deps: OrgKillDeps): Promise<StoredKill[]> => {
  const roles = [...new Set([...deps.config.catalog.roles.values()].map((r) => r.roleArn))];
  const byRole = (await Promise.all(roles.map((roleArn) => deps.store.listKills(roleArn)))).flat();
  const known = new Set(roles);
  const elsewhere = (await deps.store.listAllKills()).filter((k) => !known.has(k.roleArn));
  return [...byRole, ...elsewhere];
};

/**
 * One render of the organization's kill SCP from every kill record whose organization-wide deny is
 * still needed (an hour past its end at least, for chained sessions); its fallback is loud. Records
 * are pruned by their role's renderer once both denies are over.
 */
const renderOrganization = async (deps: OrgKillDeps, org: OrgKillPolicy): Promise<void> => {
  const now = deps.clock.now();
  const kills = await allKills(deps);
  const rendered = renderOrgKillPolicy(kills, now);
  await org.write(rendered.document);
  await recordRender(deps, {
    scope: 'organization',
    kills,
    grantIds: rendered.grantIds,
    where: { scope: 'organization' },
    fallback:
      rendered.kind === 'issued-before'
        ? {
            issuedBefore: rendered.issuedBefore,
            message: 'organization kill overflowed the SCP size limit: denying every older broker session',
          }
        : undefined,
    details: (kill) => ({ mode: rendered.kind, until: orgKillUntil(kill) }),
  });
};

/** Makes the organization's kill SCP include every recorded kill (see renderUnderLease). */
const killInOrganization = (deps: OrgKillDeps, org: OrgKillPolicy): Promise<RenderStatus> =>
  renderUnderLease(deps, ORG_TARGET, () => renderOrganization(deps, org));

export { killInOrganization, ORG_TARGET };
